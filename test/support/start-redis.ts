import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { dockerReachable } from './docker.ts';
import { freePorts } from './free-port.ts';
import type { StartedService } from './start-kafka.ts';

export interface StartedRedis extends StartedService {
  url: string;
}

const REDIS_IMAGE = 'redis:7';
// BullMQ loses jobs silently when Redis evicts its keys.
const REDIS_ARGS = ['--maxmemory-policy', 'noeviction', '--save', '', '--appendonly', 'no'];

/**
 * `REDIS_URL` if it answers; else 127.0.0.1:6379 if it answers; else a testcontainer when Docker
 * answers; else a private `redis-server` on a free port. Same order as infra/local/redis/redis.sh
 * (`REDIS_LOCAL_URL` moves the second place to look).
 */
export async function startRedis(): Promise<StartedRedis> {
  const localUrl = process.env.REDIS_LOCAL_URL || 'redis://127.0.0.1:6379';
  const candidates = [process.env.REDIS_URL, localUrl].filter((u): u is string => Boolean(u));
  for (const url of candidates) {
    const policy = await probeRedis(url);
    if (policy === undefined) {
      if (url === process.env.REDIS_URL)
        console.warn(`[test] REDIS_URL=${url} does not answer; looking further`);
      continue;
    }
    warnOnEviction(url, policy);
    return { source: url === process.env.REDIS_URL ? 'env' : 'local', url, stop: async () => {} };
  }
  if (await dockerReachable()) return startRedisContainer();
  return startRedisServer();
}

/** The server's maxmemory-policy when it answers PING ('' when CONFIG is not allowed), else undefined. */
export async function probeRedis(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    if ((await redis.ping()) !== 'PONG') return undefined;
    const config = (await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    return config[1] ?? '';
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function warnOnEviction(url: string, policy: string): void {
  if (policy !== 'noeviction') {
    console.warn(
      `[test] Redis at ${url} has maxmemory-policy=${policy || 'unknown'}; BullMQ needs noeviction ` +
        `(redis-cli config set maxmemory-policy noeviction)`,
    );
  }
}

async function startRedisContainer(): Promise<StartedRedis> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(REDIS_IMAGE)
    .withCommand(['redis-server', ...REDIS_ARGS])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return {
    source: 'testcontainers',
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startRedisServer(): Promise<StartedRedis> {
  const [port] = await freePorts(1);
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...REDIS_ARGS], {
      stdio: 'ignore',
    });
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([err]) => Promise.reject(err))]);
  } catch (err) {
    throw new Error('redis-server is not installed (apt-get install redis-server)', { cause: err });
  }
  const deadline = Date.now() + 10_000;
  while ((await probeRedis(url)) === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    source: 'native',
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
    stopSync: () => child.kill('SIGTERM'),
  };
}
