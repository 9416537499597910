/**
 * Time helpers in Ho Chi Minh City local time (UTC+7 all year). Formatting is hand-rolled on
 * shifted epoch milliseconds because the backlog formats millions of timestamps.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const OFFSET_MS = 7 * HOUR_MS;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** DVCQG `yyyyMMddHHmmss` in local time. */
export function dvcqgTime(ms: number): string {
  const d = new Date(ms + OFFSET_MS);
  return (
    d.getUTCFullYear() +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds())
  );
}

/** `yyMMdd` of the local date, as in dossier codes. */
export function localYyMMdd(ms: number): string {
  const d = new Date(ms + OFFSET_MS);
  return pad2(d.getUTCFullYear() % 100) + pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate());
}

/** `YYYY-MM-DD` of the local date. */
export function localDate(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** Local midnight of the day containing `ms`, as epoch ms. */
export function localDayStart(ms: number): number {
  return Math.floor((ms + OFFSET_MS) / DAY_MS) * DAY_MS - OFFSET_MS;
}

/** 0 = Sunday … 6 = Saturday, in local time. */
export function localWeekday(ms: number): number {
  return new Date(ms + OFFSET_MS).getUTCDay();
}

/**
 * Adds working days (Monday–Friday; public holidays ignored) the way appointment dates are set:
 * the due time is the same time of day on the n-th working day after `ms`.
 */
export function addWorkingDays(ms: number, days: number): number {
  let t = ms;
  let left = Math.max(0, Math.round(days));
  while (left > 0) {
    t += DAY_MS;
    const wd = localWeekday(t);
    if (wd !== 0 && wd !== 6) left--;
  }
  return t;
}

/** Moves a time on a weekend to 08:00 local of the next Monday; agencies receive on working days. */
export function nextWorkingTime(ms: number): number {
  const wd = localWeekday(ms);
  if (wd !== 0 && wd !== 6) return ms;
  const skip = wd === 6 ? 2 : 1;
  return localDayStart(ms) + skip * DAY_MS + 8 * HOUR_MS;
}
