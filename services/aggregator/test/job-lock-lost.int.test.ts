import { randomUUID } from 'node:crypto';
import { createLogger, createMetricsRegistry } from '@dossier/observability';
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import type { AggregatorSettings } from '../src/config.ts';
import { defineJob } from '../src/define-job.ts';
import { createAggregatorMetrics } from '../src/metrics.ts';
import { JOB_LOCK_LOST, lockMs, startWorker } from '../src/run-jobs.ts';

const prefix = uniquePrefix('job-lock');
const settings: AggregatorSettings = {
  AGGREGATOR_INTERVAL_SECONDS: 4,
  AGGREGATOR_PERIOD_KINDS: ['month'],
  AGGREGATOR_SCOPE_KINDS: ['city'],
  AGGREGATOR_QUEUE: `lock-${randomUUID()}`,
  AGGREGATOR_PREFIX: prefix,
  AGGREGATOR_GRACE_MS: 0,
  AGGREGATOR_STALE_AFTER_INTERVALS: 3,
};
const noWatermarks = {
  current: () => ({ kpiSucceededMs: new Map<string, number>() }),
  refresh: async () => ({ kpiSucceededMs: new Map() }),
};

afterAll(async () => {
  await deleteKeys(prefix);
});

describe('a KPI run whose BullMQ job lock lapsed', () => {
  it('is abandoned at once: the stalled-job check may give its job to another instance', async () => {
    let entered: () => void = () => {};
    const running = new Promise<void>((r) => {
      entered = r;
    });
    let abortReason: unknown;
    const job = defineJob({
      name: 'hold',
      scheduled: false,
      data: z.strictObject({}),
      // Works until told to stop, as a cycle between its statements.
      run: (_data, { signal }) =>
        new Promise((_resolve, reject) => {
          entered();
          signal?.addEventListener('abort', () => {
            abortReason = signal.reason;
            reject(new Error('abandoned'));
          });
        }),
    });
    const connection = { url: testRedisUrl() };
    const registry = createMetricsRegistry();
    const worker: Worker = startWorker({
      jobs: [job],
      settings,
      clickhouse: {} as never,
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createAggregatorMetrics(registry, noWatermarks),
      connection,
    });
    const queue = new Queue(settings.AGGREGATOR_QUEUE, { connection, prefix });
    const redis = new Redis(testRedisUrl());
    try {
      const added = await queue.add('hold', {}, { attempts: 1 });
      await running;
      // What a renewal that came too late finds: the lock gone (lapsed, or taken by another worker).
      const lock = `${prefix}:${settings.AGGREGATOR_QUEUE}:${added.id}:lock`;
      expect(await redis.exists(lock)).toBe(1);
      expect(await redis.pttl(lock)).toBeGreaterThan(lockMs(4) / 2);
      await redis.del(lock);
      const deadline = Date.now() + 60_000;
      while (abortReason === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(abortReason).toBe(JOB_LOCK_LOST);
    } finally {
      await worker.close(true);
      await queue.close();
      redis.disconnect();
    }
  }, 120_000);
});
