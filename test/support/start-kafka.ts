import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { dockerReachable } from './docker.ts';
import { freePorts } from './free-port.ts';
import { KAFKA_DIR_PREFIX, ownedTempPrefix } from './stale-dirs.ts';

const run = promisify(execFile);
export const KAFKA_SCRIPT = fileURLToPath(new URL('../../infra/local/kafka/kafka.sh', import.meta.url));
const KAFKA_IMAGE = 'apache/kafka:4.1.1';

export interface StartedService {
  /** How it was provided, for the start-up log line. */
  source: 'env' | 'testcontainers' | 'native' | 'local';
  stop(): Promise<void>;
  /** Synchronous last resort when the process exits without running teardown. */
  stopSync?(): void;
}

export interface StartedKafka extends StartedService {
  brokers: string[];
}

/** `KAFKA_BROKERS` if set; else a testcontainer when Docker answers; else the native broker. */
export interface StartKafkaOptions {
  /**
   * Native broker with C1-only JIT: half the start-up CPU, lower peak throughput. Right for tests,
   * wrong for benchmarks (the default). `KAFKA_JAVA_OPTS` in the environment wins either way.
   */
  fastStart?: boolean;
}

export async function startKafka(options: StartKafkaOptions = {}): Promise<StartedKafka> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    return { source: 'env', brokers: fromEnv.split(',').map((b) => b.trim()), stop: async () => {} };
  }
  if (await dockerReachable()) return startKafkaContainer();
  return startNativeKafka(options.fastStart ? '-XX:TieredStopAtLevel=1' : '');
}

async function startNativeKafka(javaOpts: string): Promise<StartedKafka> {
  const dataDir = await mkdtemp(ownedTempPrefix(KAFKA_DIR_PREFIX));
  const stopArgs = ['stop', '--data-dir', dataDir];
  let lastError: unknown;
  // A port found free can be taken before the broker binds it; a second pair almost never is.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const [port, controllerPort] = await freePorts(2);
    try {
      await run(
        KAFKA_SCRIPT,
        [
          'start',
          ...['--port', String(port), '--controller-port', String(controllerPort)],
          ...['--data-dir', dataDir, '--owner-pid', String(process.pid)],
        ],
        {
          timeout: 90_000,
          env: { ...process.env, KAFKA_JAVA_OPTS: process.env.KAFKA_JAVA_OPTS ?? javaOpts },
        },
      );
      return {
        source: 'native',
        brokers: [`127.0.0.1:${port}`],
        async stop() {
          await run(KAFKA_SCRIPT, stopArgs, { timeout: 60_000 });
          await rm(dataDir, { recursive: true, force: true });
        },
        stopSync() {
          spawnSync(KAFKA_SCRIPT, stopArgs, { stdio: 'ignore', timeout: 30_000 });
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      await run(KAFKA_SCRIPT, stopArgs).catch(() => {});
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  const stderr = (lastError as { stderr?: string }).stderr ?? '';
  throw new Error(`native Kafka did not start:\n${stderr}`, { cause: lastError });
}

async function startKafkaContainer(): Promise<StartedKafka> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // The broker must advertise the address clients use, so the host port is fixed up front.
  const [port] = await freePorts(1);
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port!, host: port! })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://localhost:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_NUM_PARTITIONS: '3',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return {
    source: 'testcontainers',
    brokers: [`localhost:${port}`],
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * The first consumer-group join on a new broker creates `__consumer_offsets`; kafkajs logs
 * "group coordinator is not available" until it exists. Done once here, tests start clean.
 */
export async function warmUpKafka(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'test-warm-up', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.describeGroups(['test-warm-up']);
  } finally {
    await admin.disconnect();
  }
}
