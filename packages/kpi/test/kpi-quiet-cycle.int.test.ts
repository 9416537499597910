// A cycle with nothing new to count or judge commits without recomputing (kpi-cycle.ts quietCycle): its
// cost no longer follows the open dossiers. Any instant one of them turns at (a due time, a supplement
// received) between two cycles makes the next one recompute. After each cycle of a sequence of quiet
// cycles, due-time crossings and new data, the state must equal a recomputation from scratch.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;
const LIVE = 'kpi_stage_cells_v1 <- live';
/** A crossing cycle stages its crossed rows and adds them to the previous live cells (kpi-live-chain.int). */
const CROSSED = 'kpi_stage_cells_v1 <- crossed';

let test: TestClickHouse;
let clickhouse: ClickHouse;

/** A cycle at `now` (UTC, city day 2026-03-10 throughout): its result and the labels of its statements. */
async function cycle(now: string) {
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `2026-03-10 ${now}:00.000`,
    graceMs: 0,
    trace: (label) => labels.push(label),
  });
  return { result, labels };
}

async function json<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

const latest = () =>
  json<Record<string, unknown>>(`SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator,
      denominator, score, max_score, reason FROM kpi_latest
    ORDER BY kpi, scope_kind, scope_code, period_kind, period_start`);

/** The city's on-time count of the current day (dossiers finished on time + open within their due time). */
const onTimeToday = async () => {
  const [row] = await json<{ numerator: string; denominator: string }>(
    `SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'on_time_rate' AND scope_kind = 'city'
      AND period_kind = 'day' AND period_start = '2026-03-10'`,
  );
  return { numerator: Number(row?.numerator), denominator: Number(row?.denominator) };
};

async function expectExact(context: string) {
  expect(await verifyKpiState(clickhouse), context).toMatchObject({ exact: true });
}

/**
 * Every value a crossing-only cycle left (it recomputes the scopes of its crossed dossiers only, from the
 * previous live cells plus their change) equals a recomputation from scratch at its instant: a rebuild of
 * the month writes no value.
 */
async function expectAsRecomputed(now: string) {
  const rebuilt = await backfillKpis(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    fromDate: '2026-03-01',
    toDate: '2026-03-10',
    now: `2026-03-10 ${now}:00.000`,
  });
  expect(rebuilt.mode).toBe('rebuild');
  expect(rebuilt.rowsWritten, `values after the crossing-only cycle at ${now}`).toBe(0);
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('PROV', 'province'), agency('COMM', 'commune', { parent_code: 'PROV' })],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [procedure('P-1', { agency_code: 'PROV', online_class: 'full', admin_levels: ['province'] })],
    format: 'JSONEachRow',
  });
  const dossiers = [
    // Open, due at 05:00 UTC: on time until then, late after.
    dossierEvents({
      code: 'DUE',
      agency: 'PROV',
      procedure: 'P-1',
      received: '2026-03-09 01:00',
      due: '2026-03-10 05:00',
    }),
    // Open, a supplement requested yesterday and received at 03:00, the appointment re-issued then by the
    // wait (25 hours): on time while waiting and after.
    dossierEvents({
      code: 'SUP',
      agency: 'COMM',
      procedure: 'P-1',
      channel: 'online',
      received: '2026-03-08 01:00',
      due: '2026-03-10 04:00',
      supplements: { requested: ['2026-03-09 02:00'], received: ['2026-03-10 03:00'] },
      dueAfterSupplement: '2026-03-11 05:00',
    }),
    // Finished on time, and open without a due date: neither turns during the day.
    dossierEvents({
      code: 'DONE',
      agency: 'PROV',
      procedure: 'P-1',
      received: '2026-03-09 02:00',
      due: '2026-03-12 00:00',
      finished: { at: '2026-03-09 20:00', kind: 'resolved' },
    }),
    dossierEvents({ code: 'NODUE', agency: 'COMM', procedure: 'P-1', received: '2026-03-09 03:00' }),
  ].flat();
  await clickhouse.insert({ table: 'dossier_events_v1', values: dossiers, format: 'JSONEachRow' });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('a cycle with nothing to count or judge anew', () => {
  it(
    'commits without recomputing, while a due time passed, a supplement received or new data recompute',
    async () => {
      expect((await cycle('02:00')).result.mode).toBe('rebuild');
      const first = await latest();
      expect(first.length).toBeGreaterThan(0);
      const before = await onTimeToday();
      expect(before.denominator).toBeGreaterThan(1);

      const quiet = await cycle('02:30');
      expect(quiet.result).toMatchObject({ mode: 'cycle', periodsRecomputed: 0, rowsWritten: 0 });
      expect(quiet.labels).not.toContain(LIVE);
      expect(await latest()).toEqual(first);
      await expectExact('quiet at 02:30');

      // SUP's supplement came back at 03:00: judged again (its verdict holds: the re-issued appointment).
      // Only an instant passed: the previous live cells plus the crossed dossier's change, no full pass.
      const received = await cycle('03:30');
      expect(received.labels).toContain(CROSSED);
      expect(received.labels).not.toContain(LIVE);
      expect(received.result.periodsRecomputed).toBeGreaterThan(0);
      await expectExact('supplement received');

      // DUE's due time (05:00) passed: it turns late in every running period.
      const crossed = await cycle('05:30');
      expect(crossed.labels).toContain(CROSSED);
      expect(crossed.labels).not.toContain(LIVE);
      // Statements over nothing are not run: with no event ingested no dossier is listed, what the cycle
      // asks is asked in one probe, and its periods are known without counting them.
      expect(crossed.labels.filter((l) => l.endsWith(' probe'))).toEqual(['read cycle probe']);
      for (const skipped of ['kpi_run_dossiers_v1 <- kpi_touched_v1', 'kpi_run_periods_v1 counts']) {
        expect(crossed.labels).not.toContain(skipped);
      }
      expect(await onTimeToday()).toEqual({ ...before, numerator: before.numerator - 1 });
      await expectExact('due time passed');
      await expectAsRecomputed('05:30');

      // After a range rebuild the next cycle recomputes in full (it cannot rely on a range's live cells),
      // and the one after is quiet again.
      const after = await latest();
      expect((await cycle('05:45')).labels).toContain(LIVE);
      expect(await latest()).toEqual(after);
      expect((await cycle('06:00')).result.periodsRecomputed).toBe(0);
      expect(await latest()).toEqual(after);

      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: dossierEvents({
          code: 'NEW',
          agency: 'COMM',
          procedure: 'P-1',
          received: '2026-03-10 06:10',
        }),
        format: 'JSONEachRow',
      });
      const arrived = await cycle('06:20');
      expect(arrived.result.dossiersRefreshed).toBe(1);
      expect(await onTimeToday()).toEqual({
        numerator: before.numerator,
        denominator: before.denominator + 1,
      });
      expect((await cycle('06:40')).result.periodsRecomputed).toBe(0);
      await expectExact('after new data and a quiet cycle');
    },
    SLOW,
  );

  it(
    'leaves every value as a recomputation from scratch gives it',
    async () => {
      const rebuilt = await backfillKpis(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        fromDate: '2026-01-01',
        toDate: '2026-03-10',
        now: '2026-03-10 06:40:00.000',
      });
      expect(rebuilt.mode).toBe('rebuild');
      expect(rebuilt.periodsRecomputed).toBeGreaterThan(0);
      expect(rebuilt.rowsWritten).toBe(0);
      // A backfill recomputed a range only: the next cycle recomputes instead of relying on it.
      expect((await cycle('06:50')).labels).toContain(LIVE);
    },
    SLOW,
  );

  it(
    'finishes a crossing-only generation whose run died after its claim from every open dossier',
    async () => {
      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: dossierEvents({
          code: 'SOON',
          agency: 'PROV',
          procedure: 'P-1',
          received: '2026-03-10 06:55',
          due: '2026-03-10 07:30',
        }),
        format: 'JSONEachRow',
      });
      expect((await cycle('07:00')).result.dossiersRefreshed).toBe(1);
      // SOON's due time passes; the run dies right after its claim (as a SIGKILL: the claim stays staged).
      const labels: string[] = [];
      await expect(
        runKpiCycle(clickhouse, {
          runId: randomUUID(),
          periodKinds: PERIOD_KINDS,
          scopeKinds: SCOPE_KINDS,
          now: '2026-03-10 07:40:00.000',
          graceMs: 0,
          trace: (label) => labels.push(label),
          onPhase: (phase) => {
            if (phase === 'claimed') throw new Error('killed after its claim');
          },
        }),
      ).rejects.toThrow('killed after its claim');
      expect(labels).toContain('kpi_stage_cells_v1 <- crossed');
      // The next run finishes it (its run counts as dead), then cycles on top: nothing counted twice.
      const next = await runKpiCycle(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        now: '2026-03-10 07:50:00.000',
        graceMs: 0,
        staleAfterMs: 0,
      });
      expect(next.mode).toBe('cycle');
      await expectExact('crossing-only generation finished by another run');
      await expectAsRecomputed('07:50');
    },
    SLOW,
  );

  it(
    'judges a due time passed while the only events ingested change no fact (a redelivery)',
    async () => {
      const edge = dossierEvents({
        code: 'EDGE',
        agency: 'PROV',
        procedure: 'P-1',
        received: '2026-03-10 07:55',
        due: '2026-03-10 08:30',
      });
      await clickhouse.insert({ table: 'dossier_events_v1', values: edge, format: 'JSONEachRow' });
      expect((await cycle('08:00')).result.dossiersRefreshed).toBe(1);
      const before = await onTimeToday();
      // EDGE's events arrive again (Kafka redelivers at least once): they change no fact, while its due
      // time (08:30) passes before the next cycle.
      await clickhouse.insert({ table: 'dossier_events_v1', values: edge, format: 'JSONEachRow' });
      const next = await cycle('08:40');
      expect(next.result.dossiersRefreshed).toBe(0);
      expect(next.labels).toContain(CROSSED);
      expect(await onTimeToday()).toEqual({ ...before, numerator: before.numerator - 1 });
      await expectExact('due time passed beside a redelivery');
    },
    SLOW,
  );
});
