import { formatUtc, parseUtc } from '@dossier/schemas';

// Instants travel between the KPI cycle and ClickHouse as `YYYY-MM-DD HH:MM:SS.mmm` UTC text (what
// toString(DateTime64(3, 'UTC')) gives and {name:DateTime64(3, 'UTC')} parameters take), which sorts as time.

export const EPOCH = '1970-01-01 00:00:00.000';
export const EPOCH_DAY = '1970-01-01';

/** A `YYYY-MM-DD HH:MM:SS.mmm` UTC timestamp as a Date. */
export const utcDate = (timestamp: string) => new Date(parseUtc(timestamp));

export const maxString = (a: string, b: string) => (a > b ? a : b);
export const minString = (a: string, b: string) => (a < b ? a : b);

/** Shifts a `YYYY-MM-DD HH:MM:SS.mmm` UTC timestamp by `ms`. */
export function shiftMs(timestamp: string, ms: number): string {
  return formatUtc(parseUtc(timestamp) + ms);
}

/** The first day period kept up to date: `dayHorizonDays` before `now` (every day when unset). */
export function dayFloor(now: string, options: { dayHorizonDays?: number }): string {
  if (options.dayHorizonDays === undefined) return EPOCH_DAY;
  return shiftMs(now, -options.dayHorizonDays * 86_400_000).slice(0, 10);
}
