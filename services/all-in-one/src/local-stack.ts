import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from '@dossier/observability';

const run = promisify(execFile);
const INFRA = fileURLToPath(new URL('../../../infra/local', import.meta.url));
const KAFKA_SH = join(INFRA, 'kafka/kafka.sh');
const REDIS_SH = join(INFRA, 'redis/redis.sh');

export interface LocalService<T> {
  value: T;
  /** Stops the process when this run started it; a service found running is left alone. */
  stop(): Promise<void>;
}

export function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * A broker on 127.0.0.1:port: this data dir's own broker (replaced when the process that started it has
 * died, as after a SIGKILL), else one already answering there, else the project's native Kafka under dataDir.
 */
export async function ensureKafka(options: {
  port: number;
  dataDir: string;
  logger: Logger;
  /** The process the broker goes down with (default this one). */
  ownerPid?: number;
}): Promise<LocalService<string[]>> {
  const brokers = [`127.0.0.1:${options.port}`];
  const dataDir = resolve(options.dataDir);
  // Our data dir's broker is asked first: a broker left by a killed predecessor still answers on the
  // port for a few seconds while it shuts down, and taking it for a live one would leave this run
  // without a broker for good.
  if (!(await localKafkaRunning(dataDir)) && (await reachable('127.0.0.1', options.port))) {
    options.logger.info({ brokers }, 'using the Kafka already running');
    return { value: brokers, stop: async () => {} };
  }
  options.logger.info({ port: options.port, dataDir }, 'starting local Kafka');
  // --owner-pid: the broker goes down with this process even when it dies without shutting down.
  const { stderr } = await run(
    KAFKA_SH,
    [
      'start',
      '--port',
      String(options.port),
      '--data-dir',
      dataDir,
      '--owner-pid',
      String(options.ownerPid ?? process.pid),
    ],
    { timeout: 600_000 },
  );
  if (/already running/.test(stderr)) {
    // Started by someone alive (by hand, or another run): theirs to stop.
    options.logger.info({ brokers }, 'using the Kafka already running');
    return { value: brokers, stop: async () => {} };
  }
  if (/replacing it/.test(stderr))
    options.logger.warn({ dataDir }, 'replaced the broker of a process that died');
  return {
    value: brokers,
    stop: async () => {
      await run(KAFKA_SH, ['stop', '--data-dir', dataDir], { timeout: 60_000 });
    },
  };
}

/** Whether the broker kafka.sh started for this data dir is running. */
export async function localKafkaRunning(dataDir: string): Promise<boolean> {
  try {
    await run(KAFKA_SH, ['status', '--data-dir', resolve(dataDir)], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** A Redis URL from `redis.sh ensure` (given REDIS_URL, the usual local one, or a private server). */
export async function ensureRedis(options: {
  url?: string;
  stateDir: string;
  logger: Logger;
}): Promise<LocalService<string>> {
  const stateDir = resolve(options.stateDir);
  const env = { ...process.env, REDIS_URL: options.url ?? '' };
  const { stdout } = await run(REDIS_SH, ['ensure', '--state-dir', stateDir], { env, timeout: 120_000 });
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!/^rediss?:\/\//.test(url)) throw new Error('redis.sh ensure printed no Redis URL');
  const ours = existsSync(join(stateDir, 'redis.pid'));
  options.logger.info(
    { startedHere: ours },
    ours ? 'started local Redis' : 'using the Redis already running',
  );
  return {
    value: url,
    stop: async () => {
      if (ours) await run(REDIS_SH, ['stop', '--state-dir', stateDir], { timeout: 30_000 });
    },
  };
}
