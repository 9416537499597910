import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  atRiskState,
  atRiskUnitCountsSql,
  atRiskUnitRowsSql,
  calendarParams,
  cityDate,
  endOfCityDay,
  nthWorkingDay,
  PERIOD_KINDS,
  readWorkingCalendar,
  runKpiCycle,
  SCOPE_KINDS,
  verifyKpiState,
  type WorkingCalendar,
} from '../src/index.ts';
import { agency, type DossierSpec, dossierEvent, dossierEvents, procedure } from './kpi-fixtures.ts';

// dossiers_at_risk_v1 over dossiers placed around the real "now" (the view judges at now()): the rows and
// states expected by hand, the TypeScript twin agreeing on every row, and a finished dossier leaving
// with the next KPI cycle.

let test: TestClickHouse;
let clickhouse: ClickHouse;
let calendar: WorkingCalendar;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => formatUtc(ms);
/** Noon in the city of the working day n working days from today. */
const noonOfWorkingDay = (n: number) =>
  endOfCityDay(nthWorkingDay(calendar, cityDate(new Date()), n).value).getTime() - 12 * HOUR;

interface ViewRow {
  dossier_code: string;
  agency_code: string;
  procedure_code: string;
  field_code: string;
  channel: string;
  received_at: string;
  due_at: string | null;
  working_days_left: string | null;
  state: string;
  calendar_complete: number;
  as_of: string;
}

async function readView(): Promise<ViewRow[]> {
  const result = await clickhouse.query({
    query: 'SELECT * FROM dossiers_at_risk_v1 ORDER BY dossier_code',
    format: 'JSONEachRow',
  });
  return result.json<ViewRow>();
}

async function cycle() {
  await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: formatUtc(Date.now()),
    graceMs: 0,
  });
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  calendar = await readWorkingCalendar(clickhouse);
});
afterAll(async () => {
  await test?.close();
});

describe('dossiers_at_risk_v1', () => {
  it('lists every open received dossier with the state the progress rule gives it now', async () => {
    const now = Date.now();
    await clickhouse.insert({
      table: 'agencies_v1',
      values: [agency('SO-TNMT', 'province'), agency('UB-P1', 'commune')],
      format: 'JSONEachRow',
    });
    await clickhouse.insert({
      table: 'procedures_v1',
      values: [procedure('P-LAND', {}), procedure('P-MAX', { max_processing_working_days: 30 })],
      format: 'JSONEachRow',
    });
    const received = at(now - 10 * DAY);
    const specs: DossierSpec[] = [
      { code: 'A-OVERDUE', received, due: at(now - DAY) },
      { code: 'B-TODAY', received, due: at(noonOfWorkingDay(0) > now ? noonOfWorkingDay(0) : now + HOUR) },
      { code: 'C-NEXT', received, due: at(noonOfWorkingDay(1)) },
      { code: 'D-TWO', received, due: at(noonOfWorkingDay(2)), agency: 'UB-P1', channel: 'online' },
      { code: 'E-THREE', received, due: at(noonOfWorkingDay(3)) },
      {
        code: 'F-WAITING',
        received,
        due: at(noonOfWorkingDay(1)),
        supplements: { requested: [at(now - HOUR)], received: [] },
      },
      {
        code: 'G-TWO-SUPPLEMENTS',
        received,
        due: at(noonOfWorkingDay(5)),
        supplements: {
          requested: [at(now - 5 * DAY), at(now - 3 * DAY)],
          received: [at(now - 4 * DAY), at(now - 2 * DAY)],
        },
      },
      { code: 'H-NO-DUE', received: at(now - DAY), procedure: 'P-MAX' },
      {
        code: 'I-FINISHED',
        received,
        due: at(now + DAY),
        finished: { at: at(now - HOUR), kind: 'resolved' },
      },
      { code: 'J-SUBMITTED', submitted: at(now - DAY), due: at(now + DAY) },
      { code: 'K-REJECTED', received, finished: { at: at(now - HOUR), kind: 'rejected' } },
      {
        // Re-issued on receipt to two working days ahead (as D-TWO), the appointment before it the wait
        // earlier: counted in working days, so the state does not depend on the hour or the weekday it runs.
        code: 'L-SHIFTED',
        received,
        due: at(noonOfWorkingDay(2) - (3 * DAY - 2 * HOUR)),
        supplements: { requested: [at(now - 3 * DAY)], received: [at(now - 2 * HOUR)] },
        dueAfterSupplement: at(noonOfWorkingDay(2)),
      },
      {
        code: 'M-NOT-MOVED',
        received,
        due: at(now - HOUR),
        supplements: { requested: [at(now - 3 * DAY)], received: [at(now - 2 * HOUR)] },
      },
    ];
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: specs.flatMap(dossierEvents),
      format: 'JSONEachRow',
    });
    await cycle();

    const rows = await readView();
    expect(rows.map((r) => [r.dossier_code, r.state])).toEqual([
      ['A-OVERDUE', 'overdue'],
      ['B-TODAY', 'due_soon'],
      ['C-NEXT', 'due_soon'],
      ['D-TWO', 'due_soon'],
      ['E-THREE', 'on_track'],
      ['F-WAITING', 'waiting_applicant'],
      ['G-TWO-SUPPLEMENTS', 'overdue'],
      ['H-NO-DUE', 'on_track'],
      // It waited two days and 22 hours for the applicant and the agency re-issued the appointment by that
      // much on receipt: due by it (the wait counted once, not added again, which would make it on_track).
      ['L-SHIFTED', 'due_soon'],
      // The same without a re-issued appointment: judged by the one it has, late.
      ['M-NOT-MOVED', 'overdue'],
    ]);
    const byCode = new Map(rows.map((r) => [r.dossier_code, r]));
    // L and M waited for their supplement until two hours ago: the list's table keeps that receipt, not
    // the request time, and the view judges L by its re-issued appointment (two working days left).
    const receipts = await clickhouse.query({
      query: `SELECT dossier_code, arrayMap(x -> toString(x), supplement_received_at) AS received
        FROM dossiers_at_risk_open_v2 FINAL WHERE dossier_code IN ('L-SHIFTED', 'M-NOT-MOVED') ORDER BY dossier_code`,
      format: 'JSONEachRow',
    });
    const receivedAt = specs.find((x) => x.code === 'L-SHIFTED')?.supplements?.received;
    expect(await receipts.json()).toEqual([
      { dossier_code: 'L-SHIFTED', received: receivedAt },
      { dossier_code: 'M-NOT-MOVED', received: receivedAt },
    ]);
    expect(Number(byCode.get('B-TODAY')?.working_days_left)).toBe(0);
    expect(Number(byCode.get('C-NEXT')?.working_days_left)).toBe(1);
    expect(Number(byCode.get('D-TWO')?.working_days_left)).toBe(2);
    expect(Number(byCode.get('E-THREE')?.working_days_left)).toBe(3);
    expect(byCode.get('D-TWO')).toMatchObject({
      agency_code: 'UB-P1',
      channel: 'online',
      procedure_code: 'P-LAND',
    });
    // No due date: the legal maximum (30 working days) from the receipt.
    expect(byCode.get('H-NO-DUE')?.due_at).not.toBeNull();
    expect(Number(byCode.get('H-NO-DUE')?.working_days_left)).toBeGreaterThanOrEqual(28);
    // Every deadline is within a calendar year that has a calendar, but 30 working days may reach one
    // that has none: the row then says so.
    for (const r of rows) {
      const missing = r.due_at !== null && !calendar.years.has(Number(r.due_at.slice(0, 4)));
      expect([r.dossier_code, r.calendar_complete]).toEqual([r.dossier_code, missing ? 0 : 1]);
    }

    // The TypeScript twin gives every row the same state and working days left at the view's as_of.
    for (const spec of specs.filter((s) => byCode.has(s.code))) {
      const row = byCode.get(spec.code) as ViewRow;
      const asOf = new Date(`${row.as_of.replace(' ', 'T')}Z`);
      const twin = atRiskState(
        calendar,
        {
          dueAt: row.due_at ? new Date(`${row.due_at.replace(' ', 'T')}Z`) : null,
          deadlineNoDue: null,
          supplementRequestedAt: (spec.supplements?.requested ?? []).map(
            (s) => new Date(`${s.replace(' ', 'T')}Z`),
          ),
          supplementReceivedAt: (spec.supplements?.received ?? []).map(
            (s) => new Date(`${s.replace(' ', 'T')}Z`),
          ),
        },
        asOf,
      );
      expect([spec.code, twin.state, twin.workingDaysLeft]).toEqual([
        spec.code,
        row.state,
        row.working_days_left === null ? null : Number(row.working_days_left),
      ]);
    }
  });

  it('drops a dossier with the KPI cycle after its finishing event', async () => {
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: [
        dossierEvent('C-NEXT', 'resolved', at(Date.now() - 60_000), {
          agency_code: 'SO-TNMT',
          finished_at: at(Date.now() - 60_000),
          finish_kind: 'resolved',
        }),
      ],
      format: 'JSONEachRow',
    });
    expect((await readView()).map((r) => r.dossier_code)).toContain('C-NEXT');
    await cycle();
    const codes = (await readView()).map((r) => r.dossier_code);
    expect(codes).not.toContain('C-NEXT');
    expect(codes).toContain('D-TWO');
    expect(await verifyKpiState(clickhouse)).toMatchObject({ atRiskDiffering: 0, openFactsDiffering: 0 });
  });

  it('moves a dossier whose due date changed to its new place in the list, once', async () => {
    // A later event of D-TWO carries a new due date: its row leaves its old key and enters at the new one.
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: [
        dossierEvent('D-TWO', 'processing', at(Date.now() - 30_000), {
          agency_code: 'UB-P1',
          due_at: at(noonOfWorkingDay(4)),
        }),
      ],
      format: 'JSONEachRow',
    });
    await cycle();
    const rows = (await readView()).filter((r) => r.dossier_code === 'D-TWO');
    expect(rows.map((r) => [r.state, Number(r.working_days_left)])).toEqual([['on_track', 4]]);
    // The stored rows of the dossier, signed, add up to one row at the new due day.
    const stored = await clickhouse.query({
      query: `SELECT toString(due_day) AS day, toString(sum(sign)) AS n FROM dossiers_at_risk_open_v2
        WHERE dossier_code = 'D-TWO' GROUP BY due_day HAVING sum(sign) != 0`,
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([
      { day: nthWorkingDay(calendar, cityDate(new Date()), 4).value, n: '1' },
    ]);
    expect(await verifyKpiState(clickhouse)).toMatchObject({ atRiskDiffering: 0 });
  });

  it('is checked row by row against the open facts: a row whose content differs is counted', async () => {
    // D-TWO's row (its finished_at is NULL, as every open row's) replaced by one due a day later, then back.
    const columns = `dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
      due_at, due_day, supplement_requested_at, supplement_received_at`;
    const shift = async (days: number) =>
      clickhouse.command({
        query: `INSERT INTO dossiers_at_risk_open_v2 (${columns}, sign)
          SELECT dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
            due_at + toIntervalDay(if(s = 1, ${days}, 0)), due_day, supplement_requested_at, supplement_received_at, toInt8(s)
          FROM
          (
            SELECT ${columns} FROM dossiers_at_risk_open_v2 WHERE dossier_code = 'D-TWO'
            GROUP BY ${columns} HAVING sum(sign) = 1
          )
          ARRAY JOIN [-1, 1] AS s`,
      });
    await shift(1);
    expect(await verifyKpiState(clickhouse)).toMatchObject({ atRiskDiffering: 2 });
    await shift(-1);
    expect(await verifyKpiState(clickhouse)).toMatchObject({ atRiskDiffering: 0 });
  });

  it("reads a unit's rows through the table's primary key: its sub-units name key ranges", async () => {
    const params = {
      ...calendarParams(calendar),
      horizon: 2,
      as_of: '2026-03-10 03:00:00.000',
      soon_until: '2026-03-12',
      up_to_day: '2026-03-20',
    };
    const unitsOnly = /Condition: \(agency_code in \d-element set\)/;
    // A page stopped early also bounds the due day, the key's second column.
    const upToDay = /Condition: and\(\(due_day in \(-Inf, \d+\]\), \(agency_code in \d-element set\)\)/;
    for (const [sql, condition] of [
      [atRiskUnitRowsSql(['SO-TNMT', 'UB-P1'], 'params'), unitsOnly],
      [atRiskUnitRowsSql(['SO-TNMT', 'UB-P1'], 'params', true), upToDay],
      [atRiskUnitCountsSql(['UB-P1'], 'params'), unitsOnly],
      [atRiskUnitCountsSql(['UB-P1'], 'params', true), unitsOnly],
    ] as const) {
      const explained = await clickhouse.query({
        query: `EXPLAIN indexes = 1 ${sql}`,
        query_params: params,
        format: 'TabSeparated',
      });
      const text = await explained.text();
      expect(text).toMatch(/PrimaryKey/);
      expect(text).toMatch(condition);
    }
  });
});
