import { type ClickHouse, stringLiteral } from '@dossier/clickhouse';
import type { CalendarRow, ParsedCalendar } from './calendar-csv.ts';
import { type WorkingCalendar, workingCalendar } from './working-days.ts';

// The working calendar in ClickHouse (migrations 0160–0162): working_calendar_v1 holds every load,
// working_calendar_latest_v1 the effective calendar (per year, its latest load).

export const CALENDAR_TABLE = 'working_calendar_v1';
export const CALENDAR_VIEW = 'working_calendar_latest_v1';
/** The shipped calendar's load (migration 0162) is older than any operator's load, so a correction wins. */
export const SHIPPED_LOAD_ID = 'shipped';
export const SHIPPED_LOADED_AT = '2000-01-01 00:00:00.000';

export interface CalendarTableRow {
  year: number;
  date: string;
  kind: 'holiday' | 'working_day' | 'year';
  name: string;
  source: string;
  load_id: string;
  loaded_at: string;
  csv_line: number;
}

/** The rows of one load: its days, and a `year` row per year it covers (replaced as a whole). */
export function calendarLoadRows(
  parsed: Pick<ParsedCalendar, 'rows' | 'years'>,
  loadId: string,
  loadedAt: string,
): CalendarTableRow[] {
  const day = (r: CalendarRow): CalendarTableRow => ({
    year: Number(r.date.slice(0, 4)),
    date: r.date,
    kind: r.kind,
    name: r.name,
    source: r.source,
    load_id: loadId,
    loaded_at: loadedAt,
    csv_line: r.line,
  });
  const years = parsed.years.map(
    (year): CalendarTableRow => ({
      year,
      date: `${year}-01-01`,
      kind: 'year',
      name: '',
      source: '',
      load_id: loadId,
      loaded_at: loadedAt,
      csv_line: 0,
    }),
  );
  return [...years, ...parsed.rows.map(day)];
}

/**
 * Stores a load with one INSERT: one block of one part, so readers see all of it or none of it (a
 * calendar is a few hundred rows, far below the block size).
 */
export async function storeCalendarLoad(clickhouse: ClickHouse, rows: CalendarTableRow[]): Promise<void> {
  await clickhouse.insert({ table: CALENDAR_TABLE, values: rows, format: 'JSONEachRow' });
}

/** The INSERT of migration 0162 (the shipped calendar); a test checks the migration is this text. */
export function shippedCalendarInsertSql(rows: CalendarTableRow[]): string {
  const values = rows.map(
    (r) =>
      `(${r.year}, '${r.date}', '${r.kind}', ${stringLiteral(r.name)}, ${stringLiteral(r.source)}, '${r.load_id}', '${r.loaded_at}', ${r.csv_line})`,
  );
  return `INSERT INTO ${CALENDAR_TABLE} (year, date, kind, name, source, load_id, loaded_at, csv_line) VALUES\n${values.join(',\n')}\n`;
}

export interface EffectiveCalendarRow {
  year: number;
  date: string;
  kind: CalendarTableRow['kind'];
}

/** The effective calendar as working-day arithmetic takes it. */
export function calendarOfRows(rows: readonly EffectiveCalendarRow[]): WorkingCalendar {
  const days = rows.flatMap((r) => (r.kind === 'year' ? [] : [{ date: r.date, kind: r.kind }]));
  return workingCalendar(
    days,
    rows.filter((r) => r.kind === 'year').map((r) => r.year),
  );
}

export async function readWorkingCalendar(clickhouse: ClickHouse): Promise<WorkingCalendar> {
  const result = await clickhouse.query({
    query: `SELECT toUInt16(year) AS year, toString(date) AS date, toString(kind) AS kind FROM ${CALENDAR_VIEW}`,
    format: 'JSONEachRow',
  });
  return calendarOfRows(await result.json<EffectiveCalendarRow>());
}
