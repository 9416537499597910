import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { createHealth, createMetricsRegistry, type Health } from '@dossier/observability';
import { Queue, QueueEvents } from 'bullmq';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENCIES,
  MARCH_DOSSIERS,
  PROCEDURES,
  scenarioEvents,
} from '../../../packages/kpi/test/kpi-scenario.ts';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { type Aggregator, type AggregatorSettings, startAggregator } from '../src/index.ts';

let store: TestClickHouse;
let clickhouse: ClickHouse;
let aggregator: Aggregator | undefined;
let registry: Registry;
let health: Health;
let queue: Queue;
const prefix = uniquePrefix('aggregator');
const redis = { url: testRedisUrl() };
const settings: AggregatorSettings = {
  AGGREGATOR_INTERVAL_SECONDS: 1,
  AGGREGATOR_PERIOD_KINDS: ['month', 'year'],
  AGGREGATOR_SCOPE_KINDS: ['city', 'agency'],
  AGGREGATOR_QUEUE: `kpi-${randomUUID()}`,
  AGGREGATOR_PREFIX: prefix,
  AGGREGATOR_GRACE_MS: 0,
  AGGREGATOR_STALE_AFTER_INTERVALS: 60,
};

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function marchOnlineRate(): Promise<{ numerator: number; denominator: number } | undefined> {
  const result = await clickhouse.query({
    query: `SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'online_resolution_rate'
      AND scope_kind = 'city' AND period_kind = 'month' AND period_start = '2025-03-01'`,
    format: 'JSONEachRow',
  });
  const row = (await result.json<{ numerator: string | number; denominator: string | number }>())[0];
  return row && { numerator: Number(row.numerator), denominator: Number(row.denominator) };
}

beforeAll(async () => {
  store = await createTestClickHouse();
  clickhouse = store.clickhouse;
  await clickhouse.insert({ table: 'agencies_v1', values: AGENCIES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: PROCEDURES, format: 'JSONEachRow' });
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: scenarioEvents(MARCH_DOSSIERS),
    format: 'JSONEachRow',
  });
  queue = new Queue(settings.AGGREGATOR_QUEUE, { connection: redis, prefix });
  // A schedule from an older deployment that is no longer configured.
  await queue.upsertJobScheduler('legacy-rollup', { every: 3_600_000 }, { name: 'legacy-rollup', data: {} });
  registry = createMetricsRegistry();
  health = createHealth();
  aggregator = await startAggregator({
    config: settings,
    logger: testLogger('aggregator'),
    registry,
    health,
    clickhouse,
    redis,
  });
});

afterAll(async () => {
  await aggregator?.stop();
  await queue?.close();
  await deleteKeys(prefix);
  await store?.close();
});

describe('startAggregator', () => {
  it('replaces schedulers that are no longer configured with its own', async () => {
    const ids = (await queue.getJobSchedulers(0, -1)).map((s) => s.id ?? s.key);
    expect(ids).toEqual(['recompute-kpis']);
  });

  it('a scheduled run on the real Redis fills kpi_latest', async () => {
    const row = await until(marchOnlineRate, 'March KPI row');
    expect(row).toEqual({ numerator: 5, denominator: 10 });
  });

  it('reports the run in metrics and is ready', async () => {
    const okRuns = /aggregator_runs_total\{job="recompute-kpis",outcome="ok"\} [1-9]/;
    await until(
      async () =>
        okRuns.test(await registry.getSingleMetricAsString('aggregator_runs_total')) ? true : undefined,
      'a successful run',
    );
    expect((await health.readiness()).checks.aggregator).toEqual({ ok: true });
    const age = await registry.getSingleMetricAsString('aggregator_last_success_age_seconds');
    expect(age).toContain('kpi="on_time_rate"');
    expect(await registry.getSingleMetricAsString('aggregator_watermark_lag_seconds')).toMatch(
      /aggregator_watermark_lag_seconds \d/,
    );
  });

  it('runs an enqueued backfill and fails a malformed one for good', async () => {
    const events = new QueueEvents(settings.AGGREGATOR_QUEUE, { connection: redis, prefix });
    try {
      await events.waitUntilReady();
      const ok = await queue.add('backfill-kpis', {
        from: '2025-03-01',
        to: '2025-03-31',
        kpis: ['on_time_rate'],
      });
      const result = await ok.waitUntilFinished(events, 60_000);
      expect(result.kpiIds).toEqual(['on_time_rate']);
      const bad = await queue.add('backfill-kpis', { from: 'March' }, { attempts: 3 });
      await expect(bad.waitUntilFinished(events, 60_000)).rejects.toThrow('invalid job payload');
      const failed = await queue.getJob(bad.id!);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await events.close();
    }
    const runs = await registry.getSingleMetricAsString('aggregator_runs_total');
    expect(runs).toMatch(/job="backfill-kpis",outcome="error"\} 1/);
  });

  it('runs an enqueued verification: the incremental state equals a recomputation from the facts', async () => {
    const events = new QueueEvents(settings.AGGREGATOR_QUEUE, { connection: redis, prefix });
    try {
      await events.waitUntilReady();
      const job = await queue.add('verify-kpis', {});
      const result = await job.waitUntilFinished(events, 60_000);
      expect(result.details).toMatchObject({
        exact: true,
        check: { openFactsDiffering: 0, cellsDiffering: { day: 0, month: 0, quarter: 0, year: 0 } },
      });
      expect(result.details.check.generation).toBeGreaterThan(0);
    } finally {
      await events.close();
    }
  });
});
