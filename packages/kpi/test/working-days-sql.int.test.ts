import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  calendarCompleteSql,
  calendarLoadRows,
  calendarMissing,
  calendarOfRows,
  calendarParams,
  cityDate,
  cityDateSql,
  dateOfDay,
  dayNumber,
  isWorkingDay,
  isWorkingDaySql,
  parseCalendarCsv,
  readWorkingCalendar,
  SHIPPED_LOAD_ID,
  SHIPPED_LOADED_AT,
  storeCalendarLoad,
  type WorkingCalendar,
  workingDayIndex,
  workingDayIndexSql,
  workingDaysBetween,
  workingDaysBetweenSql,
} from '../src/index.ts';

const CSV = readFileSync(new URL('../data/working-calendar-vn.csv', import.meta.url), 'utf8');
const shippedCalendar = calendarOfRows(
  calendarLoadRows(parseCalendarCsv(CSV), SHIPPED_LOAD_ID, SHIPPED_LOADED_AT),
);

let test: TestClickHouse;
beforeAll(async () => {
  test = await createTestClickHouse();
});
afterAll(async () => {
  await test?.close();
});

async function rows<T>(query: string, calendar: WorkingCalendar, params: Record<string, unknown> = {}) {
  const result = await test.clickhouse.query({
    query,
    query_params: { ...calendarParams(calendar), ...params },
    format: 'JSONEachRow',
  });
  return result.json<T>();
}

const FIRST = '2024-12-20';
const LAST = '2028-01-15';

describe('working days in ClickHouse', () => {
  it('the migrations ship the CSV: the effective calendar read back is the one the CSV gives', async () => {
    const stored = await readWorkingCalendar(test.clickhouse);
    expect([...stored.years].sort()).toEqual([2025, 2026, 2027]);
    expect(stored.holidays).toEqual(shippedCalendar.holidays);
    expect(stored.workingWeekends).toEqual(shippedCalendar.workingWeekends);
  });

  it('gives every day from 2024-12-20 to 2028-01-15 the same index and working-day flag as TypeScript', async () => {
    const calendar = await readWorkingCalendar(test.clickhouse);
    const days = (dayNumber(LAST) as number) - (dayNumber(FIRST) as number) + 1;
    const got = await rows<{ d: string; idx: number; working: number }>(
      `SELECT toString(day) AS d, toInt64(${workingDayIndexSql('day')}) AS idx, toUInt8(${isWorkingDaySql('day')}) AS working
       FROM (SELECT toDate({first:Date}) + number AS day FROM numbers({days:UInt32})) ORDER BY day`,
      calendar,
      { first: FIRST, days },
    );
    const expected = Array.from({ length: days }, (_, i) => {
      const d = dateOfDay((dayNumber(FIRST) as number) + i);
      return { d, idx: workingDayIndex(calendar, d), working: isWorkingDay(calendar, d) ? 1 : 0 };
    });
    expect(got.map((r) => ({ ...r, idx: Number(r.idx) }))).toEqual(expected);
  });

  it('counts working days between dates and the calendar years missing as TypeScript does', async () => {
    const calendar = await readWorkingCalendar(test.clickhouse);
    // Pairs around weekends, Tết, the exchanged days and both year ends, in both directions.
    const dates = [
      '2024-12-31',
      '2025-01-24',
      '2025-02-03',
      '2025-04-25',
      '2025-04-26',
      '2025-05-05',
      '2025-12-31',
      '2026-01-02',
      '2026-01-10',
      '2026-02-13',
      '2026-02-18',
      '2026-08-22',
      '2026-08-31',
      '2026-12-31',
      '2027-01-01',
      '2027-01-04',
      '2027-02-05',
      '2027-02-12',
      '2027-05-01',
      '2027-12-31',
      '2028-01-03',
    ];
    const pairs = dates.flatMap((a) => dates.map((b) => [a, b] as const));
    const got = await rows<{ a: string; b: string; n: number; complete: number }>(
      `SELECT toString(da) AS a, toString(db) AS b, toInt64(${workingDaysBetweenSql('da', 'db')}) AS n,
              toUInt8(${calendarCompleteSql('da', 'db')}) AS complete
       FROM (SELECT toDate(p.1) AS da, toDate(p.2) AS db
             FROM (SELECT arrayJoin(arrayZip({froms:Array(String)}, {tos:Array(String)})) AS p))`,
      calendar,
      { froms: pairs.map((p) => p[0]), tos: pairs.map((p) => p[1]) },
    );
    const byPair = new Map(got.map((r) => [`${r.a}|${r.b}`, [Number(r.n), r.complete]]));
    for (const [a, b] of pairs) {
      const ts = workingDaysBetween(calendar, a, b);
      expect([a, b, byPair.get(`${a}|${b}`)]).toEqual([
        a,
        b,
        [ts.value, ts.calendarMissing.length === 0 ? 1 : 0],
      ]);
      expect(ts.calendarMissing).toEqual(calendarMissing(calendar, a, b));
    }
  });

  it('takes the city-time date of an instant as TypeScript does, either side of midnight', async () => {
    const instants = [
      '2026-12-04 16:59:59.999',
      '2026-12-04 17:00:00.000',
      '2025-12-31 16:59:59.000',
      '2025-12-31 17:00:00.000',
      '2026-02-15 23:00:00.000',
    ];
    const got = await rows<{ t: string; d: string }>(
      `SELECT toString(instant) AS t, toString(${cityDateSql('instant')}) AS d
       FROM (SELECT arrayJoin({instants:Array(DateTime64(3, 'UTC'))}) AS instant) ORDER BY instant`,
      shippedCalendar,
      { instants },
    );
    for (const r of got) expect(r.d).toBe(cityDate(new Date(`${r.t.replace(' ', 'T')}Z`)));
    expect(got).toHaveLength(instants.length);
  });

  it('a load replaces the calendar of the years it covers, and only those', async () => {
    // A correction of 2026 that drops Monday 27 April, and a 2027 of one holiday replacing the shipped one.
    const csv = CSV.split('\n')
      .filter((l) => !l.startsWith('2025-') && !l.startsWith('2027-') && !l.startsWith('2026-04-27'))
      .concat(['2027-01-01,holiday,Tết Dương lịch (test load),test'])
      .join('\n');
    const parsed = parseCalendarCsv(csv);
    expect(parsed.rejected).toEqual([]);
    await storeCalendarLoad(
      test.clickhouse,
      calendarLoadRows(parsed, 'test-load', '2026-12-05 03:00:00.000'),
    );
    const calendar = await readWorkingCalendar(test.clickhouse);
    expect([...calendar.years].sort()).toEqual([2025, 2026, 2027]);
    expect(calendar.holidays).toContain('2025-09-02');
    expect(calendar.holidays).not.toContain('2026-04-27');
    expect(calendar.holidays.filter((d) => d.startsWith('2027-'))).toEqual(['2027-01-01']);
    expect(calendar.holidays.filter((d) => d.startsWith('2026-'))).toHaveLength(
      shippedCalendar.holidays.filter((d) => d.startsWith('2026-')).length - 1,
    );
  });
});
