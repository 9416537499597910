import { randomUUID } from 'node:crypto';
import { nextPeriodStart, PERIOD_KINDS, periodStartOf, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { createHealth, createMetricsRegistry } from '@dossier/observability';
import { formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agency,
  type DossierSpec,
  dossierEvents,
  procedure,
} from '../../../packages/kpi/test/kpi-fixtures.ts';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { type Monitor, monitorConfig, startMonitor } from '../src/index.ts';

// GET /api/at-risk/outlook over real ClickHouse: dossiers fed as events, a real KPI cycle writing the
// Decision 766 scores and the open facts, and the route reading them with the at-risk list. A province
// OUT-P with a district OUT-C and its commune OUT-G; OUT-X is another province.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (ms: number) => formatUtc(ms);
const now = Date.now();

let store: TestClickHouse;
let monitor: Monitor;
let base: string;
const queuePrefix = uniquePrefix('outlook');

const received = at(now - 10 * DAY);
const finished = { at: at(now - 2 * MINUTE), kind: 'resolved' as const };
const specs: DossierSpec[] = [
  { code: 'P-1-SOON', agency: 'OUT-P', received, due: at(now + HOUR) },
  { code: 'P-2-OVERDUE', agency: 'OUT-P', received, due: at(now - DAY) },
  {
    code: 'P-3-WAITING',
    agency: 'OUT-P',
    received,
    due: at(now + DAY),
    supplements: { requested: [at(now - HOUR)], received: [] },
  },
  { code: 'G-1-SOON', agency: 'OUT-G', received, due: at(now + HOUR) },
  { code: 'G-2-LATER', agency: 'OUT-G', received, due: at(now + 2 * DAY) },
  { code: 'X-1-SOON', agency: 'OUT-X', received, due: at(now + HOUR) },
  // OUT-P's recent history of P-LAND: 4 of 5 finished on time.
  ...[1, 2, 3, 4].map((i) => ({
    code: `P-DONE-${i}`,
    agency: 'OUT-P',
    received,
    due: at(now + DAY),
    finished,
  })),
  { code: 'P-DONE-LATE', agency: 'OUT-P', received, due: at(now - HOUR), finished },
];
const openDue: Record<string, number> = {
  'P-1-SOON': now + HOUR,
  'G-1-SOON': now + HOUR,
  'G-2-LATER': now + 2 * DAY,
  'X-1-SOON': now + HOUR,
};

/** Dossiers at stake in the current period of `kind`: the open ones not overdue nor waiting, due before its end. */
function atStake(kind: 'month' | 'quarter' | 'year', codes: string[]): number {
  const end = Date.parse(`${nextPeriodStart(kind, periodStartOf(kind, new Date()))}T00:00:00+07:00`);
  return codes.filter((c) => (openDue[c] ?? Number.POSITIVE_INFINITY) < end).length;
}

interface Scored {
  numerator: number;
  denominator: number;
  score: number;
}
interface Answer {
  atStake: number;
  waitingApplicant: number;
  overdue: number;
  projectedOnTime: number;
  basis: Record<string, number>;
  progress: { now: Scored; ifMissed: Scored; projected: Scored };
  dossierSatisfaction: { now: Scored; ifMissed: Scored; projected: Scored };
  total: { now: number; ifMissed: number; projected: number; maxScore: number } | null;
  arrivalsGuessed: boolean;
  note: string;
}

const get = async (query: string) => {
  const res = await fetch(`${base}/api/at-risk/outlook?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
};

beforeAll(async () => {
  store = await createTestClickHouse();
  const ch = store.clickhouse;
  await ch.insert({
    table: 'agencies_v1',
    values: [
      agency('OUT-P', 'province'),
      agency('OUT-C', 'district', { parent_code: 'OUT-P' }),
      agency('OUT-G', 'commune', { parent_code: 'OUT-C' }),
      agency('OUT-X', 'province'),
    ],
    format: 'JSONEachRow',
  });
  await ch.insert({ table: 'procedures_v1', values: [procedure('P-LAND', {})], format: 'JSONEachRow' });
  await ch.insert({
    table: 'dossier_events_v1',
    values: specs.flatMap(dossierEvents),
    format: 'JSONEachRow',
  });
  await runKpiCycle(ch, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: formatUtc(Date.now()),
    graceMs: 0,
  });
  monitor = await startMonitor({
    config: monitorConfig({ MONITOR_PORT: 0, MONITOR_HOST: '127.0.0.1' }),
    logger: testLogger('monitor'),
    registry: createMetricsRegistry(),
    health: createHealth(),
    clickhouse: ch,
    redis: { url: testRedisUrl(), maxRetriesPerRequest: null },
    queueNames: [],
    queuePrefix,
  });
  base = `http://127.0.0.1:${monitor.port}`;
}, 600_000);
afterAll(async () => {
  await monitor?.stop();
  await store?.close();
  await deleteKeys(queuePrefix);
});

describe('GET /api/at-risk/outlook', () => {
  it('scores a unit with its sub-units for the year, as kpi_latest and the list count them', async () => {
    const a = await get('agency=OUT-P&period_kind=year');
    const stake = atStake('year', ['P-1-SOON', 'G-1-SOON', 'G-2-LATER']);
    expect(a).toMatchObject({ atStake: stake, waitingApplicant: 1, overdue: 1, arrivalsGuessed: false });
    expect(a.note).toMatch(/not guessed/);
    // P-1 takes OUT-P's share of P-LAND (0.8); the commune has no history, its dossiers count missed.
    const viaProcedure = atStake('year', ['P-1-SOON']);
    expect(a.basis).toEqual({ procedure: viaProcedure, unit: 0, none: stake - viaProcedure });
    expect(a.projectedOnTime).toBe(viaProcedure);
    // Population 10 (5 open, 5 finished this year); on time now 8: every open one but P-2, 4 finished.
    expect(a.progress.now).toEqual({ numerator: 8, denominator: 10, score: 16 });
    expect(a.progress.ifMissed).toEqual({ numerator: 8 - stake, denominator: 10, score: 2 * (8 - stake) });
    const projected = 8 - stake + viaProcedure;
    expect(a.progress.projected).toEqual({ numerator: projected, denominator: 10, score: 2 * projected });
    // 5.4: nobody rated, so the same counts, full at 90%: 6 × 0.8 / 0.9 = 5.33.
    expect(a.dossierSatisfaction.now).toEqual({ numerator: 8, denominator: 10, score: 5.33 });
    // The total moves by the two components' changes, from the figure kpi_latest holds.
    const result = await store.clickhouse.query({
      query: `SELECT toFloat64(score) AS score FROM kpi_latest WHERE kpi = 'index766.total'
        AND scope_kind = 'agency' AND scope_code = 'OUT-P' AND period_kind = 'year'
        AND period_start = {p:Date}`,
      query_params: { p: periodStartOf('year', new Date()) },
      format: 'JSONEachRow',
    });
    const [total] = await result.json<{ score: number }>();
    expect(a.total?.now).toBe(total?.score);
    const drop =
      a.progress.now.score -
      a.progress.ifMissed.score +
      a.dossierSatisfaction.now.score -
      a.dossierSatisfaction.ifMissed.score;
    expect(a.total?.ifMissed).toBeCloseTo((total?.score ?? 0) - drop, 6);
  });

  it('scores a sub-unit from its part of the tree and the city from every unit', async () => {
    const c = await get('agency=OUT-C&period_kind=month');
    expect(c).toMatchObject({
      atStake: atStake('month', ['G-1-SOON', 'G-2-LATER']),
      waitingApplicant: 0,
      overdue: 0,
      projectedOnTime: 0,
    });
    // OUT-C's population is the commune's two open dossiers, both on time now.
    expect(c.progress.now).toEqual({ numerator: 2, denominator: 2, score: 20 });
    expect(c.progress.ifMissed.numerator).toBe(2 - c.atStake);
    const city = await get('period_kind=quarter');
    expect(city.atStake).toBe(atStake('quarter', ['P-1-SOON', 'G-1-SOON', 'G-2-LATER', 'X-1-SOON']));
    expect(city.progress.ifMissed.numerator).toBe(city.progress.now.numerator - city.atStake);
  });

  it('refuses a period kind it does not score', async () => {
    const res = await fetch(`${base}/api/at-risk/outlook?period_kind=day`);
    expect(res.status).toBe(400);
  });
});
