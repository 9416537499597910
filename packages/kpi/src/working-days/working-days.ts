// Working-day arithmetic in city time (Asia/Ho_Chi_Minh): Monday to Friday, less the public holidays, plus
// the weekend days the Government declares working days in exchange. The calendar is data
// (working_calendar_v1, loaded from a CSV); a year it does not cover falls back to weekends only, and every
// answer names the years it had to guess. workingDaysSql in working-days.sql.ts is the same arithmetic in
// ClickHouse, and a test holds the two to agreement.

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

export interface WorkingCalendar {
  /** Years whose days off and exchanged working days are known. */
  readonly years: ReadonlySet<number>;
  /** Weekdays that are days off, sorted. */
  readonly holidays: readonly CalendarDate[];
  /** Saturdays and Sundays that are working days in exchange, sorted. */
  readonly workingWeekends: readonly CalendarDate[];
}

export interface CalendarDay {
  date: CalendarDate;
  kind: 'holiday' | 'working_day';
}

export interface CalendarMissingYears {
  /** Years counted with weekends only because no calendar is loaded for them; empty when exact. */
  calendarMissing: number[];
}

/** A figure computed over a span of dates, and the years of that span the calendar does not cover. */
export interface WorkingDays<T> extends CalendarMissingYears {
  value: T;
}

export const CITY_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const DAY_MS = 86_400_000;
/** 1970-01-05, the first Monday of the epoch: day numbers count from it so weeks start on Monday. */
const FIRST_MONDAY = 4;

const cityDateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: CITY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date in city time of an instant (midnight belongs to the day it starts). */
export function cityDate(instant: Date): CalendarDate {
  return cityDateFormat.format(instant);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01; undefined for text that is not a real calendar date. */
export function dayNumber(date: CalendarDate): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return ms / DAY_MS;
}

function dayOf(date: CalendarDate): number {
  const n = dayNumber(date);
  if (n === undefined) throw new RangeError(`not a calendar date: ${date}`);
  return n;
}

export const dateOfDay = (day: number): CalendarDate => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** 1 Monday … 7 Sunday (ISO), as ClickHouse's toDayOfWeek. */
export function isoWeekday(date: CalendarDate): number {
  return ((((dayOf(date) - FIRST_MONDAY) % 7) + 7) % 7) + 1;
}

export const isWeekend = (date: CalendarDate) => isoWeekday(date) >= 6;

export function workingCalendar(days: readonly CalendarDay[], years: Iterable<number>): WorkingCalendar {
  const pick = (kind: CalendarDay['kind']) =>
    days
      .filter((d) => d.kind === kind)
      .map((d) => d.date)
      .sort();
  return { years: new Set(years), holidays: pick('holiday'), workingWeekends: pick('working_day') };
}

/** No calendar at all: weekends only, every year reported missing. */
export const WEEKENDS_ONLY: WorkingCalendar = workingCalendar([], []);

/** How many of the sorted dates are before `date`. */
function countBefore(sorted: readonly CalendarDate[], date: CalendarDate): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as CalendarDate) < date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function has(sorted: readonly CalendarDate[], date: CalendarDate): boolean {
  const i = countBefore(sorted, date);
  return sorted[i] === date;
}

export function isWorkingDay(calendar: WorkingCalendar, date: CalendarDate): boolean {
  return isWeekend(date) ? has(calendar.workingWeekends, date) : !has(calendar.holidays, date);
}

/**
 * The number of working days before `date` since 1970-01-05. A day that is not a working day gets the
 * index of the next working day, which is what makes a due day off count as the next working day.
 */
export function workingDayIndex(calendar: WorkingCalendar, date: CalendarDate): number {
  const x = dayOf(date) - FIRST_MONDAY;
  const weekdays = Math.floor(x / 7) * 5 + Math.min(((x % 7) + 7) % 7, 5);
  return weekdays - countBefore(calendar.holidays, date) + countBefore(calendar.workingWeekends, date);
}

/** The years from `from` to `to` (either order) that the calendar does not cover. */
export function calendarMissing(calendar: WorkingCalendar, from: CalendarDate, to: CalendarDate): number[] {
  const [a, b] = from <= to ? [from, to] : [to, from];
  const missing: number[] = [];
  for (let y = Number(a.slice(0, 4)); y <= Number(b.slice(0, 4)); y++)
    if (!calendar.years.has(y)) missing.push(y);
  return missing;
}

/**
 * Working days from `from` to `to`: 0 the same working day, 1 the next, −1 the previous. Either end on a
 * day off counts as the next working day (so from a Saturday, the Monday is 0).
 */
export function workingDaysBetween(
  calendar: WorkingCalendar,
  from: CalendarDate,
  to: CalendarDate,
): WorkingDays<number> {
  return {
    value: workingDayIndex(calendar, to) - workingDayIndex(calendar, from),
    calendarMissing: calendarMissing(calendar, from, to),
  };
}

/** Working days left, in city time, from the instant `now` to a dossier due at the instant `dueAt`. */
export function workingDaysLeft(calendar: WorkingCalendar, now: Date, dueAt: Date): WorkingDays<number> {
  return workingDaysBetween(calendar, cityDate(now), cityDate(dueAt));
}

/**
 * The working day `n` (≥ 0) working days after `from`: n = 0 is `from` itself when it is a working day,
 * otherwise the next working day.
 */
export function nthWorkingDay(
  calendar: WorkingCalendar,
  from: CalendarDate,
  n: number,
): WorkingDays<CalendarDate> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, not ${n}`);
  const target = workingDayIndex(calendar, from) + n;
  let day = dayOf(from);
  // The index only grows, by one per working day: step to the first working day whose index is the target.
  while (!(workingDayIndex(calendar, dateOfDay(day)) === target && isWorkingDay(calendar, dateOfDay(day))))
    day++;
  const date = dateOfDay(day);
  return { value: date, calendarMissing: calendarMissing(calendar, from, date) };
}

/** The instant a city-time calendar day ends (the next day's midnight); Viet Nam has kept UTC+7 since 1975. */
export function endOfCityDay(date: CalendarDate): Date {
  return new Date((dayOf(date) + 1) * DAY_MS - 7 * 3_600_000);
}
