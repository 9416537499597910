import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';

describe('bullmq job scheduler on redis', () => {
  const prefix = uniquePrefix('scheduler');
  const connection = { url: testRedisUrl() };
  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('fires a repeating scheduler and stops after removeJobScheduler', async () => {
    const queue = new Queue('kpi', { connection, prefix });
    const fired: number[] = [];
    let twice: () => void = () => {};
    const firedTwice = new Promise<void>((resolve) => {
      twice = resolve;
    });
    const worker = new Worker(
      'kpi',
      async (job) => {
        fired.push(Date.now());
        expect(job.data).toEqual({ scope: 'city' });
        if (fired.length === 2) twice();
      },
      { connection, prefix },
    );
    try {
      await queue.upsertJobScheduler(
        'every-500ms',
        { every: 500 },
        { name: 'recompute', data: { scope: 'city' } },
      );
      await firedTwice;
      expect(await queue.getJobSchedulers()).toHaveLength(1);

      expect(await queue.removeJobScheduler('every-500ms')).toBe(true);
      expect(await queue.getJobSchedulers()).toHaveLength(0);
      // A job already scheduled at removal time may still be delayed; removal drops it too.
      const countAtRemoval = fired.length;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(fired.length).toBe(countAtRemoval);
      expect(await queue.getDelayedCount()).toBe(0);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
