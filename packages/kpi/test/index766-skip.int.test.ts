// The Decision 766 statement costs seconds to plan: a cycle skips it while none of its inputs changed since
// its periods' values were last written (kpi_index766_inputs_v1), and runs it again as soon as one did:
// the catalog, loaded figures, a dossier, the city day. A run stopped between computing the values and
// writing them leaves its periods marked, so the next run recomputes them.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, shiftMs, verifyKpiState } from '../src/index.ts';
import { AGENCIES, EVENTS, NOW, PROCEDURES } from './index766-scenario.ts';
import { agency, dossierEvents } from './kpi-fixtures.ts';

/** The index's periods computed off the running path: from their inputs stored (index766-statement.ts). */
const STAGE = 'index766 statement: stage values';
const SLOW = 600_000;
/** Whether a cycle computed the index: by its statement, or for the running periods without it. */
const computed = (labels: string[]) =>
  labels.includes(STAGE) || labels.includes('index766 running: stage scored values');

let test: TestClickHouse;
let clickhouse: ClickHouse;
let minutes = 0;

/** A cycle a few minutes after the previous one (or at `now`); the labels of the statements it ran. */
async function cycle(now?: string, failAfter?: string, dayHorizonDays?: number): Promise<string[]> {
  minutes += 2;
  const labels: string[] = [];
  await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: now ?? shiftMs(NOW, minutes * 60_000),
    graceMs: 0,
    dayHorizonDays,
    trace: (label) => {
      labels.push(label);
      if (label === failAfter) throw new Error(`stopped after ${label}`);
    },
  });
  return labels;
}

async function json<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

const indexRows = () =>
  json<Record<string, unknown>>(`SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator,
      denominator, score, max_score, reason FROM kpi_latest WHERE kpi LIKE 'index766%'
    ORDER BY kpi, scope_kind, scope_code, period_kind, period_start`);

const figure = (period: string, numerator: number, denominator: number) => ({
  scope_kind: 'city',
  scope_code: '',
  period_kind: 'month',
  period_start: period,
  figure: 'index766.transparency.published_on_time',
  dossier_code: '',
  numerator,
  denominator,
  source: 'test',
  loaded_at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
  load_id: randomUUID(),
  csv_line: 1,
  event_id: randomUUID(),
});

const cityScore = async (kpi: string, period: string) => {
  const [row] = await json<{ score: number | null; reason: string }>(
    `SELECT score, reason FROM kpi_latest WHERE kpi = '${kpi}' AND scope_kind = 'city'
      AND period_kind = 'month' AND period_start = '${period}'`,
  );
  return row;
};

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({ table: 'agencies_v1', values: AGENCIES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: PROCEDURES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'dossier_events_v1', values: EVENTS, format: 'JSONEachRow' });
  await cycle(NOW);
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('Decision 766 statement skipped while its inputs are unchanged', () => {
  it(
    'an idle cycle fingerprints the inputs, skips the statement and leaves kpi_latest as it was',
    async () => {
      const before = await indexRows();
      expect(before.length).toBeGreaterThan(0);
      // With nothing to count or judge anew a cycle does not even fingerprint (kpi-quiet-cycle.int.test.ts);
      // one that recomputes (here asked for another day horizon, as after a configuration change) does.
      expect(await cycle()).not.toContain('kpi_index766_inputs_v1 fingerprint');
      const labels = await cycle(undefined, undefined, 400);
      expect(labels).toContain('kpi_index766_inputs_v1 fingerprint');
      expect(labels).not.toContain(STAGE);
      expect(await indexRows()).toEqual(before);
    },
    SLOW,
  );

  it(
    'a new unit in the catalog runs it: the commune gets the procedures applied at every commune',
    async () => {
      await clickhouse.insert({
        table: 'agencies_v1',
        values: [agency('COMM2', 'commune', { parent_code: 'PROV' })],
        format: 'JSONEachRow',
      });
      expect(await cycle()).toContain(STAGE);
      const [row] = await json<{ n: string }>(
        "SELECT count() AS n FROM kpi_latest WHERE kpi = 'index766.total' AND scope_code = 'COMM2'",
      );
      expect(Number(row?.n)).toBeGreaterThan(0);
      expect(await cycle()).not.toContain(STAGE);
    },
    SLOW,
  );

  it(
    'loaded figures run it, for a past period as for the current one',
    async () => {
      await clickhouse.insert({
        table: 'index766_external_v1',
        values: [figure('2025-03-01', 5, 6)],
        format: 'JSONEachRow',
      });
      expect(await cycle()).toContain(STAGE);
      expect(await cityScore('index766.transparency.published_on_time', '2025-03-01')).toEqual({
        score: 5,
        reason: '',
      });
      expect(await cycle()).not.toContain(STAGE);
    },
    SLOW,
  );

  it(
    'a dossier of the current month runs it',
    async () => {
      const events = dossierEvents({
        code: 'NEW1',
        agency: 'SUB',
        procedure: 'P-FEE',
        channel: 'online',
        received: '2026-02-14 03:00',
        due: '2026-02-20 03:00',
      });
      await clickhouse.insert({ table: 'dossier_events_v1', values: events, format: 'JSONEachRow' });
      // In the same running periods and city day it is computed from the previous inputs (index766-running.ts).
      expect(computed(await cycle())).toBe(true);
      const [row] = await json<{ denominator: string }>(
        `SELECT denominator FROM kpi_latest WHERE kpi = 'index766.progress' AND scope_kind = 'city'
          AND period_kind = 'month' AND period_start = '2026-02-01'`,
      );
      expect(Number(row?.denominator)).toBeGreaterThan(0);
      expect(computed(await cycle())).toBe(false);
    },
    SLOW,
  );

  it(
    'the next city day runs it (the catalog is read as it stands on the day)',
    async () => {
      minutes = 24 * 60;
      expect(await cycle()).toContain(STAGE);
      expect(await cycle()).not.toContain(STAGE);
    },
    SLOW,
  );

  it(
    'a run stopped between computing the values and writing them is redone by the next run',
    async () => {
      await clickhouse.insert({
        table: 'index766_external_v1',
        values: [figure('2026-02-01', 1, 2)],
        format: 'JSONEachRow',
      });
      await expect(cycle(undefined, STAGE)).rejects.toThrow(/stopped after/);
      const marks = await json<{ fingerprint: string }>(
        `SELECT toString(argMax(fingerprint, written_at)) AS fingerprint FROM kpi_index766_inputs_v1
          WHERE period_kind = 'month' AND period_start = '2026-02-01'`,
      );
      expect(marks).toEqual([{ fingerprint: '0' }]);
      expect(await cityScore('index766.transparency.published_on_time', '2026-02-01')).toEqual({
        score: null,
        reason: 'no_external_figures',
      });
      expect(await cycle()).toContain(STAGE);
      expect(await cityScore('index766.transparency.published_on_time', '2026-02-01')).toEqual({
        score: 3,
        reason: '',
      });
      expect(await cycle()).not.toContain(STAGE);
    },
    SLOW,
  );

  it(
    'leaves the incremental state exact',
    async () => {
      expect((await verifyKpiState(clickhouse)).exact).toBe(true);
    },
    SLOW,
  );
});
