import { CITY_TIME_ZONE, type WorkingCalendar } from './working-days.ts';

// working-days.ts in ClickHouse SQL, for statements over many dossiers. The calendar travels as three
// query parameters (calendarParams); the expressions take SQL expressions of type Date (dates from
// 1970-01-05 on). A test (working-days-sql.int.test.ts) holds both forms to the same answers.

const HOLIDAYS = '{wd_holidays:Array(Date)}';
const WORKING = '{wd_working:Array(Date)}';
const YEARS = '{wd_years:Array(UInt16)}';

/** The query parameters every expression below reads. */
export function calendarParams(calendar: WorkingCalendar): Record<string, unknown> {
  return {
    wd_holidays: [...calendar.holidays],
    wd_working: [...calendar.workingWeekends],
    wd_years: [...calendar.years].sort((a, b) => a - b),
  };
}

/** The city-time calendar date of a DateTime/DateTime64 expression. */
export const cityDateSql = (instant: string) => `toDate(toTimeZone(${instant}, '${CITY_TIME_ZONE}'))`;

/** workingDayIndex: working days before the date since 1970-01-05; a day off gets the next working day's. */
export function workingDayIndexSql(date: string): string {
  const x = `dateDiff('day', toDate('1970-01-05'), ${date})`;
  return `(intDiv(${x}, 7) * 5 + least(modulo(${x}, 7), 5) - arrayCount(wd_h -> wd_h < ${date}, ${HOLIDAYS}) + arrayCount(wd_w -> wd_w < ${date}, ${WORKING}))`;
}

export const isWorkingDaySql = (date: string) =>
  `if(toDayOfWeek(${date}) >= 6, has(${WORKING}, ${date}), NOT has(${HOLIDAYS}, ${date}))`;

/** workingDaysBetween(from, to).value */
export const workingDaysBetweenSql = (from: string, to: string) =>
  `(${workingDayIndexSql(to)} - ${workingDayIndexSql(from)})`;

/** 1 when the calendar covers every year from one date to the other (calendarMissing is empty). */
export const calendarCompleteSql = (from: string, to: string) =>
  `arrayAll(wd_y -> has(${YEARS}, wd_y), range(toUInt16(toYear(least(${from}, ${to}))), toUInt16(toYear(greatest(${from}, ${to})) + 1)))`;
