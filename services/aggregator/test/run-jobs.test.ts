import { createLogger, createMetricsRegistry } from '@dossier/observability';
import { type Job, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AggregatorSettings } from '../src/config.ts';
import { defineJob, type JobContext, type JobResult } from '../src/define-job.ts';
import { classifyError } from '../src/errors.ts';
import { createAggregatorMetrics } from '../src/metrics.ts';
import { createProcessor } from '../src/run-jobs.ts';

const settings: AggregatorSettings = {
  AGGREGATOR_INTERVAL_SECONDS: 60,
  AGGREGATOR_PERIOD_KINDS: ['month'],
  AGGREGATOR_SCOPE_KINDS: ['city'],
  AGGREGATOR_QUEUE: 'q',
  AGGREGATOR_PREFIX: 'p',
  AGGREGATOR_GRACE_MS: 0,
  AGGREGATOR_STALE_AFTER_INTERVALS: 3,
};
const result: JobResult = {
  kpiIds: ['on_time_rate'],
  rowsWritten: 7,
  dossiersRefreshed: 2,
  periodsRecomputed: 1,
};
const noWatermarks = {
  current: () => ({ kpiSucceededMs: new Map<string, number>() }),
  refresh: async () => ({ kpiSucceededMs: new Map() }),
};

function setup(run: (data: { n: number }, context: JobContext) => Promise<JobResult>) {
  const registry = createMetricsRegistry();
  const metrics = createAggregatorMetrics(registry, noWatermarks);
  const seen: unknown[] = [];
  const job = defineJob({
    name: 'sum',
    scheduled: false,
    data: z.strictObject({ n: z.number() }),
    run: (d, context) => {
      seen.push(d);
      return run(d, context);
    },
  });
  const processor = createProcessor({
    jobs: [job],
    settings,
    clickhouse: {} as never,
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics,
  });
  const bullJob = (name: string, data: unknown) =>
    ({ name, data, id: '1', attemptsMade: 0 }) as unknown as Job;
  return { registry, processor, bullJob, seen };
}

describe('the job runner', () => {
  it('parses the payload, runs the job and counts the rows it wrote', async () => {
    const { registry, processor, bullJob, seen } = setup(async () => result);
    await expect(processor(bullJob('sum', { n: 1 }))).resolves.toEqual(result);
    expect(seen).toEqual([{ n: 1 }]);
    expect(await registry.getSingleMetricAsString('aggregator_rows_written_total')).toContain(
      '{job="sum"} 7',
    );
    expect(await registry.getSingleMetricAsString('aggregator_runs_total')).toContain(
      '{job="sum",outcome="ok"} 1',
    );
  });

  it('counts a run that found the KPI generation held by another as skipped, not as a success', async () => {
    const skipped = { ...result, mode: 'skipped', rowsWritten: 0 };
    const { registry, processor, bullJob } = setup(async () => skipped);
    await expect(processor(bullJob('sum', { n: 1 }))).resolves.toEqual(skipped);
    const runs = await registry.getSingleMetricAsString('aggregator_runs_total');
    expect(runs).toContain('{job="sum",outcome="skipped"} 1');
    expect(runs).not.toContain('outcome="ok"');
  });

  it('hands the job the stop signal BullMQ gives it, and rethrows the abandoned run as is', async () => {
    const stop = new AbortController();
    const { processor, bullJob } = setup(async (_data, { signal }) => {
      stop.abort();
      signal?.throwIfAborted();
      return result;
    });
    await expect(processor(bullJob('sum', { n: 1 }), 'token', stop.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('fails a malformed payload for good, without running the job', async () => {
    const { registry, processor, bullJob, seen } = setup(async () => result);
    await expect(processor(bullJob('sum', { n: 'one' }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(seen).toEqual([]);
    expect(await registry.getSingleMetricAsString('aggregator_runs_total')).toContain(
      '{job="sum",outcome="error"} 1',
    );
  });

  it('rethrows other failures so BullMQ can retry, and rejects unknown job names', async () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const { processor, bullJob } = setup(async () => {
      throw refused;
    });
    await expect(processor(bullJob('sum', { n: 1 }))).rejects.toBe(refused);
    await expect(processor(bullJob('other', {}))).rejects.toBeInstanceOf(UnrecoverableError);
  });
});

describe('classifyError', () => {
  it('classifies by class and code', () => {
    expect(classifyError(new z.ZodError([]))).toBe('poison');
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { code: '241', type: 'MEMORY_LIMIT_EXCEEDED' }))).toBe(
      'transient',
    );
    expect(classifyError(Object.assign(new Error('x'), { code: '62', type: 'SYNTAX_ERROR' }))).toBe('bug');
    expect(classifyError(new TypeError('x'))).toBe('bug');
  });
});
