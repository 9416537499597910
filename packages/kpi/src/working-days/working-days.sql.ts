import { CITY_TIME_ZONE, type WorkingCalendar } from './working-days.ts';

// working-days.ts in ClickHouse SQL, for statements over many dossiers. The calendar travels as three
// query parameters (calendarParams); the expressions take SQL expressions of type Date (dates from
// 1970-01-05 on). A test (working-days-sql.int.test.ts) holds both forms to the same answers.

/** Where an expression finds the calendar: query parameters by default, or a view's WITH aliases. */
export interface CalendarSqlRefs {
  holidays: string;
  working: string;
  years: string;
}

export const CALENDAR_PARAMS: CalendarSqlRefs = {
  holidays: '{wd_holidays:Array(Date)}',
  working: '{wd_working:Array(Date)}',
  years: '{wd_years:Array(UInt16)}',
};

/** WITH clauses naming the effective calendar (working_calendar_latest_v1), for views; refs: CALENDAR_WITH. */
export const CALENDAR_WITH_SQL = `(SELECT groupArray(date) FROM working_calendar_latest_v1 WHERE kind = 'holiday') AS wd_holidays,
  (SELECT groupArray(date) FROM working_calendar_latest_v1 WHERE kind = 'working_day') AS wd_working,
  (SELECT groupArray(year) FROM working_calendar_latest_v1 WHERE kind = 'year') AS wd_years`;

export const CALENDAR_WITH: CalendarSqlRefs = {
  holidays: 'wd_holidays',
  working: 'wd_working',
  years: 'wd_years',
};

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
export function workingDayIndexSql(date: string, c: CalendarSqlRefs = CALENDAR_PARAMS): string {
  const x = `dateDiff('day', toDate('1970-01-05'), ${date})`;
  return `(intDiv(${x}, 7) * 5 + least(modulo(${x}, 7), 5) - arrayCount(wd_h -> wd_h < ${date}, ${c.holidays}) + arrayCount(wd_w -> wd_w < ${date}, ${c.working}))`;
}

export const isWorkingDaySql = (date: string, c: CalendarSqlRefs = CALENDAR_PARAMS) =>
  `if(toDayOfWeek(${date}) >= 6, has(${c.working}, ${date}), NOT has(${c.holidays}, ${date}))`;

/** workingDaysBetween(from, to).value */
export const workingDaysBetweenSql = (from: string, to: string, c: CalendarSqlRefs = CALENDAR_PARAMS) =>
  `(${workingDayIndexSql(to, c)} - ${workingDayIndexSql(from, c)})`;

/** 1 when the calendar covers every year from one date to the other (calendarMissing is empty). */
export const calendarCompleteSql = (from: string, to: string, c: CalendarSqlRefs = CALENDAR_PARAMS) =>
  `arrayAll(wd_y -> has(${c.years}, wd_y), range(toUInt16(toYear(least(${from}, ${to}))), toUInt16(toYear(greatest(${from}, ${to})) + 1)))`;
