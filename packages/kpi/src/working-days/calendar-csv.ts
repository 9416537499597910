import { splitCsvLine } from '@dossier/schemas';
import { type CalendarDay, dayNumber, isoWeekday } from './working-days.ts';

// The working calendar as an operator loads it: a CSV of `date,kind,name,source`, one line per weekday off
// (kind holiday) or weekend day worked in exchange (kind working_day). A load replaces the whole calendar
// of every year it names, so a correction is the year's file sent again; a file with any bad line loads
// nothing.

export const CALENDAR_COLUMNS = ['date', 'kind', 'name', 'source'] as const;

export interface CalendarRow extends CalendarDay {
  name: string;
  source: string;
  line: number;
}

export interface RejectedCalendarLine {
  line: number;
  reason: string;
}

export interface ParsedCalendar {
  rows: CalendarRow[];
  /** The years the file replaces (those of its dates), ascending. */
  years: number[];
  rejected: RejectedCalendarLine[];
}

/** The file cannot be read at all (no header, wrong columns): the message says why. */
export class CalendarCsvRefused extends Error {
  override name = 'CalendarCsvRefused';
}

const MIN_YEAR = 2000;
const MAX_YEAR = 2100;
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function parseLine(cells: string[], line: number): CalendarRow | string {
  if (cells.length !== CALENDAR_COLUMNS.length)
    return `expected ${CALENDAR_COLUMNS.length} fields (${CALENDAR_COLUMNS.join(',')}), found ${cells.length}`;
  const [date, kind, name, source] = cells.map((c) => c.trim()) as [string, string, string, string];
  if (dayNumber(date) === undefined) return `date: '${date}' is not a calendar date (YYYY-MM-DD)`;
  const year = Number(date.slice(0, 4));
  if (year < MIN_YEAR || year > MAX_YEAR) return `date: ${date} is outside ${MIN_YEAR}–${MAX_YEAR}`;
  if (kind !== 'holiday' && kind !== 'working_day')
    return `kind: '${kind}' is neither holiday (a weekday off) nor working_day (a weekend day worked)`;
  const weekday = isoWeekday(date);
  const dayName = WEEKDAY_NAMES[weekday - 1];
  if (kind === 'holiday' && weekday >= 6)
    return `date: ${date} is a ${dayName}, already a day off: list only the weekdays taken off`;
  if (kind === 'working_day' && weekday <= 5)
    return `date: ${date} is a ${dayName}, already a working day: working_day is for a weekend day worked in exchange`;
  if (name === '') return 'name: empty (say which holiday or exchange it is)';
  if (source === '') return 'source: empty (name the announcement the day comes from)';
  return { date, kind, name, source, line };
}

/** Reads every line; rejected lines carry their 1-based line number and reason. */
export function parseCalendarCsv(text: string): ParsedCalendar {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  let header: string[] | undefined;
  const rows: CalendarRow[] = [];
  const rejected: RejectedCalendarLine[] = [];
  const firstLine = new Map<string, number>();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const cells = splitCsvLine(raw);
    if (header === undefined) {
      header = cells?.map((c) => c.trim().toLowerCase());
      if (header?.join(',') !== CALENDAR_COLUMNS.join(','))
        throw new CalendarCsvRefused(
          `line ${line}: the header must be ${CALENDAR_COLUMNS.join(',')}, not '${raw.slice(0, 200)}'`,
        );
      return;
    }
    if (!cells) {
      rejected.push({ line, reason: 'a quote is left open' });
      return;
    }
    const row = parseLine(cells, line);
    if (typeof row === 'string') {
      rejected.push({ line, reason: row });
      return;
    }
    const first = firstLine.get(row.date);
    if (first !== undefined) {
      rejected.push({ line, reason: `date: ${row.date} is already given on line ${first}` });
      return;
    }
    firstLine.set(row.date, line);
    rows.push(row);
  });
  if (header === undefined) throw new CalendarCsvRefused('the file has no header line');
  if (rows.length === 0 && rejected.length === 0) throw new CalendarCsvRefused('the file has no days');
  const years = [...new Set(rows.map((r) => Number(r.date.slice(0, 4))))].sort((a, b) => a - b);
  return { rows, years, rejected };
}
