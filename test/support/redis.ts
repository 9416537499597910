import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { safeInject } from './provided.ts';

/** The Redis every integration test shares. Isolate with `uniquePrefix()`, never FLUSHDB. */
export function testRedisUrl(): string {
  return safeInject('redisUrl') || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
}

/** A BullMQ `prefix` / key prefix owned by one test: `test:<label>:<pid>:<random>`. */
export function uniquePrefix(label = 't'): string {
  return `test:${label}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function deleteKeys(prefix: string, url = testRedisUrl()): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
