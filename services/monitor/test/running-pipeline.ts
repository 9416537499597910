import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../test/support/free-port.ts';
import { testKafkaBrokers, uniqueName } from '../../../test/support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { TEST_OUTPUT } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const MAIN = join(ROOT, 'services/all-in-one/src/main.ts');

export interface RunningPipeline {
  dashboard: string;
  analysts: string;
  topics: { events: string; dvcqg: string; catalog: string; index766External: string };
  stop(): Promise<void>;
}

/**
 * `npm start`'s entry point (services/all-in-one) as a child process on the run's Kafka and Redis,
 * with its own topics, group, queue prefix and data directory, so parallel tests never share state.
 * The child owns its chDB directory; the test reads ClickHouse through the analysts' endpoint.
 */
export async function startRunningPipeline(env: Record<string, string> = {}): Promise<RunningPipeline> {
  const [monitorPort, analystsPort] = (await freePorts(2)) as [number, number];
  const dataDir = await mkdtemp(join(tmpdir(), 'monitor-e2e-'));
  const prefix = uniquePrefix('monitor-e2e');
  const topics = {
    events: uniqueName('events'),
    dvcqg: uniqueName('dvcqg'),
    catalog: uniqueName('catalog'),
    index766External: uniqueName('index766-external'),
  };
  // On a fresh clone nothing has created test-output yet, and a failed open is an unhandled error.
  await mkdir(TEST_OUTPUT, { recursive: true });
  const log = createWriteStream(join(TEST_OUTPUT, 'all-in-one.log'));
  const child: ChildProcess = spawn(process.execPath, [TSX, MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      REDIS_URL: testRedisUrl(),
      KAFKA_GROUP_ID: uniqueName('group'),
      TOPIC_EVENTS: topics.events,
      TOPIC_DVCQG: topics.dvcqg,
      TOPIC_CATALOG: topics.catalog,
      TOPIC_INDEX766_EXTERNAL: topics.index766External,
      TOPIC_DEAD_LETTER: uniqueName('dead-letter'),
      AGGREGATOR_QUEUE: 'kpi-aggregator',
      AGGREGATOR_PREFIX: prefix,
      AGGREGATOR_INTERVAL_SECONDS: '2',
      MONITOR_PORT: String(monitorPort),
      MONITOR_HOST: '127.0.0.1',
      MONITOR_SAMPLE_INTERVAL_MS: '1000',
      ANALYSTS_PORT: String(analystsPort),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      await exited;
      clearTimeout(killer);
    }
    log.end();
    await deleteKeys(prefix);
    await rm(dataDir, { recursive: true, force: true });
  };

  const dashboard = `http://127.0.0.1:${monitorPort}`;
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${dashboard}/healthz`)).ok),
      exited.then((code) => {
        throw new Error(`all-in-one exited with ${code} before serving; see test-output/all-in-one.log`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dashboard, analysts: `http://127.0.0.1:${analystsPort}`, topics, stop };
}

/** Polls until `check` holds (errors count as "not yet"); the caller's test timeout bounds the wait. */
export async function waitFor(check: () => Promise<boolean>, everyMs = 500): Promise<void> {
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
