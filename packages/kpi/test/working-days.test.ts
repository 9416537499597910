import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  calendarLoadRows,
  calendarMissing,
  calendarOfRows,
  cityDate,
  endOfCityDay,
  isoWeekday,
  isWorkingDay,
  nthWorkingDay,
  parseCalendarCsv,
  SHIPPED_LOAD_ID,
  SHIPPED_LOADED_AT,
  shippedCalendarInsertSql,
  WEEKENDS_ONLY,
  type WorkingCalendar,
  workingDaysBetween,
  workingDaysLeft,
} from '../src/index.ts';
import { lunarToSolar } from './lunar-calendar.ts';

const CSV = readFileSync(new URL('../data/working-calendar-vn.csv', import.meta.url), 'utf8');
const shipped = parseCalendarCsv(CSV);
const vn: WorkingCalendar = calendarOfRows(calendarLoadRows(shipped, SHIPPED_LOAD_ID, SHIPPED_LOADED_AT));
const between = (from: string, to: string) => workingDaysBetween(vn, from, to).value;

describe('working days in the shipped calendar', () => {
  it('reads the shipped CSV without a rejected line, for the years it covers', () => {
    expect(shipped.rejected).toEqual([]);
    expect(shipped.years).toEqual([2025, 2026, 2027]);
    expect([...vn.years].sort()).toEqual([2025, 2026, 2027]);
  });

  it.each([
    ['0162_fill_working_calendar.sql', [2025, 2026]],
    ['0223_fill_working_calendar_2027.sql', [2027]],
  ])(
    'is what migration %s stores: its INSERT is the CSV lines of %j as the loader would store them',
    (file, years) => {
      const migration = readFileSync(new URL(`../../clickhouse/migrations/${file}`, import.meta.url), 'utf8');
      const statement = migration
        .split('\n')
        .filter((l) => !l.startsWith('--'))
        .join('\n');
      const part = { rows: shipped.rows.filter((r) => years.includes(Number(r.date.slice(0, 4)))), years };
      expect(statement).toBe(
        shippedCalendarInsertSql(calendarLoadRows(part, SHIPPED_LOAD_ID, SHIPPED_LOADED_AT)),
      );
    },
  );

  it('counts across a weekend: Friday to Monday is one working day, Monday to Friday minus one week', () => {
    // 2026-12-04 is a Friday, 2026-12-07 the Monday after.
    expect(between('2026-12-04', '2026-12-07')).toBe(1);
    expect(between('2026-12-07', '2026-12-04')).toBe(-1);
    expect(between('2026-12-07', '2026-12-11')).toBe(4);
    expect(between('2026-12-07', '2026-12-14')).toBe(5);
    expect(between('2026-12-07', '2026-12-07')).toBe(0);
  });

  it('counts a due day that is not a working day as the next working day', () => {
    // From Friday 4 Dec: Saturday and Sunday both count as Monday, one working day ahead.
    expect(between('2026-12-04', '2026-12-05')).toBe(1);
    expect(between('2026-12-04', '2026-12-06')).toBe(1);
    // From a Saturday, the Monday after is "today" and the Friday before is −1.
    expect(between('2026-12-05', '2026-12-07')).toBe(0);
    expect(between('2026-12-05', '2026-12-04')).toBe(-1);
  });

  it('skips public holidays: Tết 2026 takes Monday 16 to Friday 20 February off', () => {
    expect(isWorkingDay(vn, '2026-02-16')).toBe(false);
    expect(isWorkingDay(vn, '2026-02-20')).toBe(false);
    // Friday 13 Feb to Monday 23 Feb: one working day, the whole Tết week and two weekends between.
    expect(between('2026-02-13', '2026-02-23')).toBe(1);
    // A dossier due during Tết counts as due on Monday 23 Feb.
    expect(between('2026-02-13', '2026-02-18')).toBe(1);
    // Hùng Kings' day 2026 falls on Sunday 26 April: Monday 27 is off instead.
    expect(between('2026-04-24', '2026-04-28')).toBe(1);
    // 30 April and 1 May 2026 are Thursday and Friday.
    expect(between('2026-04-29', '2026-05-04')).toBe(1);
  });

  it('counts the weekend days worked in exchange: Saturday 22 August 2026 for Monday 31 August', () => {
    expect(isWorkingDay(vn, '2026-08-22')).toBe(true);
    expect(isWorkingDay(vn, '2026-08-31')).toBe(false);
    // Friday 21 → Saturday 22 (worked) → Monday 24.
    expect(between('2026-08-21', '2026-08-22')).toBe(1);
    expect(between('2026-08-21', '2026-08-24')).toBe(2);
    // Friday 28 August to Thursday 3 September: 31 Aug, 1 and 2 Sep off.
    expect(between('2026-08-28', '2026-09-03')).toBe(1);
    // 2025: Saturday 26 April worked for Friday 2 May; 30 April to 4 May off.
    expect(between('2025-04-25', '2025-04-26')).toBe(1);
    expect(between('2025-04-29', '2025-05-05')).toBe(1);
  });

  it('crosses the year end: 2025 → 2026 with New Year and its exchange (Fri 2 Jan off, Sat 10 Jan worked)', () => {
    // Wednesday 31 Dec 2025 → Monday 5 Jan 2026: Thursday 1 and Friday 2 off.
    expect(between('2025-12-31', '2026-01-05')).toBe(1);
    expect(between('2026-01-09', '2026-01-10')).toBe(1);
    expect(between('2026-01-09', '2026-01-12')).toBe(2);
    expect(workingDaysBetween(vn, '2025-12-31', '2026-01-05').calendarMissing).toEqual([]);
  });

  it('falls back to weekends only in a year without a calendar, and says which years', () => {
    // 3 January 2028 is a Monday; no 2028 calendar is shipped, so it counts as a working day (by the Labour
    // Code it is the day off for New Year's Day on a Saturday).
    const r = workingDaysBetween(vn, '2027-12-31', '2028-01-04');
    expect(r.value).toBe(2);
    expect(r.calendarMissing).toEqual([2028]);
    expect(calendarMissing(vn, '2024-12-30', '2028-01-01')).toEqual([2024, 2028]);
    expect(workingDaysBetween(WEEKENDS_ONLY, '2026-02-13', '2026-02-23')).toEqual({
      value: 6,
      calendarMissing: [2026],
    });
  });

  it('takes the date in city time: 23:59 and 00:00 in Ho Chi Minh City are different days', () => {
    // 16:59 UTC is 23:59 in the city (UTC+7), 17:00 UTC midnight of the next day.
    expect(cityDate(new Date('2026-12-04T16:59:59Z'))).toBe('2026-12-04');
    expect(cityDate(new Date('2026-12-04T17:00:00Z'))).toBe('2026-12-05');
    const now = new Date('2026-12-04T02:00:00Z'); // Friday 09:00 in the city
    expect(workingDaysLeft(vn, now, new Date('2026-12-04T16:59:59Z')).value).toBe(0);
    // Due Saturday 00:00 city time counts as Monday: one working day left.
    expect(workingDaysLeft(vn, now, new Date('2026-12-04T17:00:00Z')).value).toBe(1);
    // Thursday 17:30 UTC is already Friday 00:30 in the city: a dossier due Friday is due today, not tomorrow.
    expect(workingDaysLeft(vn, new Date('2026-12-03T17:30:00Z'), now).value).toBe(0);
    expect(workingDaysLeft(vn, new Date('2026-12-03T16:30:00Z'), now).value).toBe(1);
    expect(endOfCityDay('2026-12-04').toISOString()).toBe('2026-12-04T17:00:00.000Z');
  });

  it('finds the working day n working days ahead, starting from the next working day on a day off', () => {
    expect(nthWorkingDay(vn, '2026-12-04', 0).value).toBe('2026-12-04');
    expect(nthWorkingDay(vn, '2026-12-04', 1).value).toBe('2026-12-07');
    expect(nthWorkingDay(vn, '2026-12-05', 0).value).toBe('2026-12-07');
    expect(nthWorkingDay(vn, '2026-02-12', 2).value).toBe('2026-02-23');
    expect(nthWorkingDay(vn, '2026-08-21', 1).value).toBe('2026-08-22');
    expect(nthWorkingDay(vn, '2027-12-30', 2)).toEqual({ value: '2028-01-03', calendarMissing: [2028] });
  });
});

describe('the shipped 2027 calendar (statutory days, Labour Code 2019 art. 111-112)', () => {
  const holidays2027 = shipped.rows.filter((r) => r.date.startsWith('2027') && r.kind === 'holiday');
  const dates = holidays2027.map((r) => r.date);

  it('computes the lunar dates it rests on: Tết 6 February and the Hùng Kings 16 April 2027', () => {
    // The computation first reproduces the dates the Government announced for earlier years.
    expect([2020, 2021, 2022, 2023, 2024, 2025, 2026].map((y) => lunarToSolar(1, 1, y))).toEqual([
      '2020-01-25',
      '2021-02-12',
      '2022-02-01',
      '2023-01-22',
      '2024-02-10',
      '2025-01-29',
      '2026-02-17',
    ]);
    expect([2023, 2024, 2025, 2026].map((y) => lunarToSolar(10, 3, y))).toEqual([
      '2023-04-29',
      '2024-04-18',
      '2025-04-07',
      '2026-04-26',
    ]);
    expect(lunarToSolar(1, 1, 2027)).toBe('2027-02-06');
    expect(lunarToSolar(10, 3, 2027)).toBe('2027-04-16');
  });

  it('gives five Tết days, the day before Tết and four after, those on the weekend taken the next working days', () => {
    const tet = lunarToSolar(1, 1, 2027);
    const tetDays = dates.filter((d) => d >= '2027-02-01' && d <= '2027-02-28');
    expect(tetDays).toEqual(['2027-02-05', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11']);
    expect(isoWeekday(tet)).toBe(6);
    // Thursday 4 February to Friday 12 February: one working day.
    expect(between('2027-02-04', '2027-02-12')).toBe(1);
    expect(isWorkingDay(vn, '2027-02-12')).toBe(true);
  });

  it('has every other statutory day, a day falling on Saturday taken the Monday after', () => {
    expect(dates.filter((d) => d < '2027-02-01' || d > '2027-02-28')).toEqual([
      '2027-01-01',
      lunarToSolar(10, 3, 2027),
      '2027-04-30',
      '2027-05-03',
      '2027-09-02',
      '2027-09-03',
    ]);
    expect(isoWeekday('2027-05-01')).toBe(6);
    // Thursday 29 April to Tuesday 4 May: Friday 30 April and Monday 3 May are off.
    expect(between('2027-04-29', '2027-05-04')).toBe(1);
    // Wednesday 1 September to Monday 6 September: Thursday 2 and Friday 3 are off.
    expect(between('2027-09-01', '2027-09-06')).toBe(1);
    expect(workingDaysBetween(vn, '2026-12-31', '2027-01-04')).toEqual({ value: 1, calendarMissing: [] });
  });

  it('says in each row that the Government had announced nothing for 2027, and no exchanged working day', () => {
    for (const r of holidays2027)
      expect([r.date, r.source]).toEqual([r.date, expect.stringMatching(/statutory/)]);
    expect(shipped.rows.filter((r) => r.date.startsWith('2027') && r.kind === 'working_day')).toEqual([]);
  });
});

describe('calendar CSV', () => {
  it('rejects every bad line with its line number and reason, and keeps the good ones apart', () => {
    const parsed = parseCalendarCsv(
      [
        'date,kind,name,source',
        '2027-01-01,holiday,Tết Dương lịch,Labour Code',
        '2027-02-30,holiday,Not a day,x',
        '2027-01-02,holiday,A Saturday,x',
        '2027-01-04,working_day,A Monday,x',
        '2027-01-05,day_off,Unknown kind,x',
        '2027-01-01,holiday,Twice,x',
        '2027-01-06,holiday,,x',
        '2027-01-07,holiday,No source,',
        '2027-01-08,holiday,"open quote,x',
        '2027-01-11,holiday,Too,many,fields',
        '# a comment',
        '',
        '2027-01-09,working_day,"Saturday, worked",Announcement',
      ].join('\n'),
    );
    expect(parsed.rows.map((r) => [r.line, r.date, r.kind, r.name])).toEqual([
      [2, '2027-01-01', 'holiday', 'Tết Dương lịch'],
      [14, '2027-01-09', 'working_day', 'Saturday, worked'],
    ]);
    expect(parsed.years).toEqual([2027]);
    expect(parsed.rejected.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const reason = (line: number) => parsed.rejected.find((r) => r.line === line)?.reason;
    expect(reason(3)).toMatch(/not a calendar date/);
    expect(reason(4)).toMatch(/Saturday, already a day off/);
    expect(reason(5)).toMatch(/Monday, already a working day/);
    expect(reason(6)).toMatch(/kind: 'day_off'/);
    expect(reason(7)).toMatch(/already given on line 2/);
    expect(reason(8)).toMatch(/^name: empty/);
    expect(reason(9)).toMatch(/^source: empty/);
    expect(reason(10)).toMatch(/quote/);
    expect(reason(11)).toMatch(/expected 4 fields/);
  });

  it('refuses a file whose header is not date,kind,name,source', () => {
    expect(() => parseCalendarCsv('day,kind\n2027-01-01,holiday')).toThrow(
      /header must be date,kind,name,source/,
    );
    expect(() => parseCalendarCsv('\n# nothing\n')).toThrow(/no header/);
  });

  it('marks every year a load covers, so the load replaces that year whole', () => {
    const rows = calendarLoadRows(shipped, 'L1', '2026-12-05 00:00:00.000');
    expect(rows.filter((r) => r.kind === 'year').map((r) => r.year)).toEqual([2025, 2026, 2027]);
    expect(rows.filter((r) => r.kind !== 'year')).toHaveLength(shipped.rows.length);
  });
});
