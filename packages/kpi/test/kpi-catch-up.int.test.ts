// A cycle after weeks without one settles the days elapsed as one stretch per open dossier between its
// own instants (run-periods.sql.ts dossierStretchesSql), not one row per day. Its cells must equal the
// per-day recomputation (verifyKpiState builds them day by day) whatever instant falls where: due dates,
// receipts, supplements, re-issued appointments and finishes exactly on a city midnight (the end of one
// day and the start of the next: `<` and `<=` differ there), a millisecond after one, inside a day.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { type DossierEventRow, parseUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { type DossierSpec, dossierEvents, insertSettlingCatalog } from './kpi-fixtures.ts';

const SLOW = 600_000;
let test: TestClickHouse;
let clickhouse: ClickHouse;

// City midnight is 17:00 UTC the day before: '2026-03-10 17:00' is the start of 11 March in the city.
const DOSSIERS: DossierSpec[] = [
  {
    code: 'DUE-MIDNIGHT',
    agency: 'PROV',
    procedure: 'P-5',
    received: '2026-02-20 03:00',
    due: '2026-03-10 17:00',
  },
  {
    code: 'DUE-AFTER-MIDNIGHT',
    agency: 'COMM',
    procedure: 'P-5',
    received: '2026-02-21 17:00',
    due: '2026-03-12 17:00:00.001',
  },
  { code: 'LEGAL-MAX', agency: 'PROV', procedure: 'P-5', received: '2026-02-22 04:00' },
  { code: 'OPEN-LONG', agency: 'COMM', procedure: 'P-NONE', received: '2025-12-01 02:00' },
  {
    code: 'REISSUED',
    agency: 'PROV',
    procedure: 'P-NONE',
    channel: 'online',
    received: '2026-02-25 17:00',
    due: '2026-04-08 17:00',
    supplements: { requested: ['2026-03-31 17:00'], received: ['2026-04-06 17:00'] },
    dueAfterSupplement: '2026-04-14 17:00',
  },
  // Re-issued on a midnight to a date before the request: late from that midnight's day on (the day
  // ending at the re-issue already reads the new appointment), on time before it.
  {
    code: 'REISSUED-EARLIER',
    agency: 'COMM',
    procedure: 'P-5',
    received: '2026-02-25 17:00',
    due: '2026-04-08 17:00',
    supplements: { requested: ['2026-04-02 03:00'], received: ['2026-04-06 17:00'] },
    dueAfterSupplement: '2026-04-01 17:00',
  },
  // The same with its whole history sent at once ahead of time (see AHEAD): the cycle four weeks on
  // settles the re-issue with nothing new.
  {
    code: 'AHEAD',
    agency: 'PROV',
    procedure: 'P-NONE',
    received: '2026-02-24 17:00',
    due: '2026-03-20 17:00',
    supplements: { requested: ['2026-03-05 03:00'], received: ['2026-03-12 17:00'] },
    dueAfterSupplement: '2026-03-04 17:00',
  },
  {
    code: 'TWO-REQUESTS',
    agency: 'COMM',
    procedure: 'P-5',
    received: '2026-02-26 05:00',
    due: '2026-04-10 17:00',
    supplements: { requested: ['2026-04-01 17:00', '2026-04-05 17:00'], received: ['2026-04-03 17:00'] },
  },
  {
    code: 'WAITING',
    agency: 'PROV',
    procedure: 'P-5',
    received: '2026-02-27 06:00',
    due: '2026-04-30 17:00',
    supplements: { requested: ['2026-04-15 17:00'], received: [] },
  },
  {
    code: 'FINISHED-MIDNIGHT',
    agency: 'COMM',
    procedure: 'P-NONE',
    received: '2026-02-28 07:00',
    due: '2026-03-20 17:00',
    finished: { at: '2026-04-09 17:00', kind: 'resolved' },
    satisfied: 1,
  },
  {
    code: 'NEW-OPEN',
    agency: 'PROV',
    procedure: 'P-5',
    received: '2026-04-11 17:00',
    due: '2026-04-16 17:00',
  },
  {
    code: 'NEW-DONE',
    agency: 'COMM',
    procedure: 'P-NONE',
    received: '2026-04-12 17:00',
    finished: { at: '2026-04-13 17:00', kind: 'result_returned' },
  },
];

const EVENTS = DOSSIERS.flatMap((spec) => dossierEvents(spec));
/** Dossiers whose events are all sent before the first cycle, weeks ahead of their times. */
const AHEAD = new Set(['AHEAD']);
/**
 * The events that had happened by `to` and not by `from` (UTC `YYYY-MM-DD HH:MM`), as agency systems
 * send them; AHEAD's all before the first cycle.
 */
const happened = (from: string, to: string): DossierEventRow[] =>
  EVENTS.filter((e) => {
    const at = parseUtc(AHEAD.has(e.dossier_code) ? '2000-01-02 00:00:00.000' : e.occurred_at);
    return at > parseUtc(`${from}:00.000`) && at <= parseUtc(`${to}:00.000`);
  });

async function cycle(now: string) {
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `${now}:00.000`,
    graceMs: 0,
    trace: (label) => labels.push(label),
  });
  return { result, labels };
}

async function ingest(events: DossierEventRow[]) {
  if (events.length > 0)
    await clickhouse.insert({ table: 'dossier_events_v1', values: events, format: 'JSONEachRow' });
}

async function expectExact(context: string) {
  expect(await verifyKpiState(clickhouse), context).toMatchObject({
    exact: true,
    cellsDiffering: { day: 0, month: 0, quarter: 0, year: 0 },
    scopeRowsDiffering: { cells: 0, procedures: 0 },
  });
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertSettlingCatalog(clickhouse);
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('a cycle after weeks without one', () => {
  it(
    'settles the elapsed days as the day-by-day recomputation does, instants on midnights included',
    async () => {
      await ingest(happened('2000-01-01 00:00', '2026-03-02 10:00'));
      expect((await cycle('2026-03-02 10:00')).result.mode).toBe('rebuild');
      await expectExact('rebuilt on 2 March');

      // Four weeks, nothing new: due dates and the legal maximum pass on and beside midnights.
      const settled = await cycle('2026-03-30 10:00');
      expect(settled.result.mode).toBe('cycle');
      expect(settled.labels).toContain('kpi_stage_cells_v1 <- settled day');
      await expectExact('four weeks later, nothing new');

      // Three weeks of supplements, re-issues, finishes and receipts on midnights, sent late: the changed
      // dossiers' old and new rows are stretched too, and a month and a quarter end.
      await ingest(happened('2026-03-02 10:00', '2026-04-20 10:00'));
      const changed = await cycle('2026-04-20 10:00');
      expect(changed.labels).toContain('kpi_stage_cells_v1 <- settled + changed day');
      await expectExact('three weeks later, with the events of April');

      // Three more weeks, nothing new, one dossier still waiting for its supplement.
      await cycle('2026-05-11 10:00');
      await expectExact('three more weeks, nothing new');

      const rebuilt = await backfillKpis(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        fromDate: '2025-12-01',
        toDate: '2026-05-11',
        now: '2026-05-11 10:00:00.000',
      });
      expect(rebuilt.mode).toBe('rebuild');
      expect(rebuilt.rowsWritten, 'values a rebuild would change').toBe(0);
    },
    SLOW,
  );
});
