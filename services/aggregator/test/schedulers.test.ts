import { createLogger } from '@dossier/observability';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { AggregatorSettings } from '../src/config.ts';
import { JOBS } from '../src/jobs/index.ts';
import { enqueueCycleSoon, syncSchedulers } from '../src/schedulers.ts';
import { isFresh } from '../src/watermarks.ts';

/** Records calls like a BullMQ Queue's scheduler API would see them. */
function fakeQueue(existing: string[]) {
  const schedulers = new Map(existing.map((id) => [id, 0]));
  const queue = {
    async upsertJobScheduler(id: string, repeat: { every: number }) {
      schedulers.set(id, repeat.every);
    },
    async getJobSchedulers() {
      return [...schedulers.keys()].map((id) => ({ id, key: id, name: id }));
    },
    async removeJobScheduler(id: string) {
      return schedulers.delete(id);
    },
  };
  return { queue: queue as unknown as Queue, schedulers };
}

const settings = (intervalSeconds: number): AggregatorSettings => ({
  AGGREGATOR_INTERVAL_SECONDS: intervalSeconds,
  AGGREGATOR_PERIOD_KINDS: ['month'],
  AGGREGATOR_SCOPE_KINDS: ['city'],
  AGGREGATOR_QUEUE: 'q',
  AGGREGATOR_PREFIX: 'p',
  AGGREGATOR_GRACE_MS: 0,
  AGGREGATOR_STALE_AFTER_INTERVALS: 3,
});
const logger = createLogger({ service: 'test', level: 'silent' });

describe('syncSchedulers', () => {
  it('upserts the scheduled job every interval and removes schedulers no longer configured', async () => {
    const { queue, schedulers } = fakeQueue(['legacy-rollup', 'recompute-kpis']);
    const outcome = await syncSchedulers(queue, JOBS, settings(30), logger);
    expect(outcome).toEqual({ upserted: ['recompute-kpis'], removed: ['legacy-rollup'] });
    expect([...schedulers]).toEqual([['recompute-kpis', 30_000]]);
  });

  it('removes every scheduler when the interval is 0', async () => {
    const { queue, schedulers } = fakeQueue(['recompute-kpis']);
    await syncSchedulers(queue, JOBS, settings(0), logger);
    expect(schedulers.size).toBe(0);
  });
});

describe('enqueueCycleSoon', () => {
  it('adds one delayed run of each scheduled job, once, with the schedule’s retention', async () => {
    const added: { name: string; data: unknown; opts: Record<string, unknown> }[] = [];
    const queue = {
      async add(name: string, data: unknown, opts: Record<string, unknown>) {
        added.push({ name, data, opts });
      },
    } as unknown as Queue;
    await enqueueCycleSoon(queue, JOBS, 15_000);
    expect(added).toEqual([
      {
        name: 'recompute-kpis',
        data: {},
        opts: {
          removeOnComplete: { count: 100 },
          removeOnFail: { count: 500 },
          attempts: 1,
          delay: 15_000,
        },
      },
    ]);
  });
});

describe('isFresh (readiness)', () => {
  const snapshot = (cycleSucceededMs?: number) => ({ cycleSucceededMs, kpiSucceededMs: new Map() });

  it('fails once the last successful cycle is older than the limit', () => {
    expect(isFresh(snapshot(1_000), 180_000, 0, 181_000).ok).toBe(true);
    expect(isFresh(snapshot(1_000), 180_000, 0, 181_001).ok).toBe(false);
  });

  it('allows one limit of start-up time before the first cycle', () => {
    expect(isFresh(snapshot(), 180_000, 10_000, 190_000).ok).toBe(true);
    expect(isFresh(snapshot(), 180_000, 10_000, 190_001)).toEqual({
      ok: false,
      detail: 'no successful KPI cycle yet after 180 s',
    });
  });
});
