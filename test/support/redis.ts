import { randomBytes } from 'node:crypto';
import { safeInject } from './provided.ts';
import { deleteKeysMatching } from './redis-keys.ts';

/** The Redis every integration test shares. Isolate with `uniquePrefix()`, never FLUSHDB. */
export function testRedisUrl(): string {
  return safeInject('redisUrl') || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
}

/** A BullMQ `prefix` / key prefix owned by one test: `test:<label>:<pid>:<random>`. */
export function uniquePrefix(label = 't'): string {
  return `test:${label}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (a glob: it may hold `*`), by redis-keys.ts. */
export function deleteKeys(prefix: string, url = testRedisUrl()): Promise<number> {
  return deleteKeysMatching(url, `${prefix}*`);
}
