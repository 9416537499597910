import { Redis } from 'ioredis';

/**
 * Deletes every key matching a glob pattern (SCAN, not KEYS, so a shared Redis is not blocked); how many.
 * Without vitest, so scripts (the fault suite's CLI) use it too.
 */
export async function deleteKeysMatching(url: string, pattern: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for await (const keys of redis.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
