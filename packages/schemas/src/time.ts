/**
 * Timestamp parsing and formatting. Every accepted instant becomes a UTC string
 * `YYYY-MM-DD HH:MM:SS.mmm`, the text form of ClickHouse DateTime64(3, 'UTC').
 */

export const RFC3339_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$';
const RFC3339 = new RegExp(RFC3339_PATTERN);
export const DVCQG_TIME_PATTERN = '^\\d{14}$';
const DVCQG_TIME = new RegExp(DVCQG_TIME_PATTERN);
export const ISO_DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

/** Years outside this range are typos, and the version column (ms since epoch) cannot be negative. */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2099;

/** Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975). */
const HO_CHI_MINH_OFFSET_MINUTES = 7 * 60;

interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The decimal number in text[from, to); callers have checked that these are ASCII digits. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function civilToEpochMs(t: CivilTime, offsetMinutes: number): number | null {
  if (t.year < MIN_YEAR || t.year > MAX_YEAR) return null;
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > daysInMonth(t.year, t.month)) return null;
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return null;
  const utc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  return utc - offsetMinutes * 60_000;
}

/** RFC 3339 timestamp with an explicit offset (`Z` or `±HH:MM`) → ms since epoch, or null if invalid. */
export function parseRfc3339(text: string): number | null {
  if (!RFC3339.test(text)) return null;
  const fraction = /\.(\d+)/.exec(text.slice(19))?.[1] ?? '';
  const zone = /([Zz]|[+-]\d{2}:\d{2})$/.exec(text)?.[1] ?? 'Z';
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return null;
    offset = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return civilToEpochMs(
    {
      year: digits(text, 0, 4),
      month: digits(text, 5, 7),
      day: digits(text, 8, 10),
      hour: digits(text, 11, 13),
      minute: digits(text, 14, 16),
      second: digits(text, 17, 19),
      millisecond: Number(fraction.padEnd(3, '0').slice(0, 3)),
    },
    offset,
  );
}

/** DVCQG `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh → ms since epoch, or null if it does not exist. */
export function parseDvcqgTime(text: string): number | null {
  if (!DVCQG_TIME.test(text)) return null;
  return civilToEpochMs(
    {
      year: digits(text, 0, 4),
      month: digits(text, 4, 6),
      day: digits(text, 6, 8),
      hour: digits(text, 8, 10),
      minute: digits(text, 10, 12),
      second: digits(text, 12, 14),
      millisecond: 0,
    },
    HO_CHI_MINH_OFFSET_MINUTES,
  );
}

/** `YYYY-MM-DD` calendar date → the same string if the date exists, else null. */
export function parseIsoDate(text: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const ms = civilToEpochMs(
    {
      year: Number(match[1]),
      month: Number(match[2]),
      day: Number(match[3]),
      hour: 0,
      minute: 0,
      second: 0,
      millisecond: 0,
    },
    0,
  );
  return ms === null ? null : text;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** ms since epoch → `YYYY-MM-DD HH:MM:SS.mmm` (UTC). Hand-formatted: this runs for every timestamp ingested. */
export function formatUtc(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/**
 * `YYYY-MM-DD HH:MM:SS.mmm` UTC text (what formatUtc writes and ClickHouse prints for DateTime64(3, 'UTC'))
 * → ms since epoch; NaN for any other text.
 */
export function parseUtc(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/** ms since epoch → RFC 3339 in Ho Chi Minh City time to the second, `2025-03-04T08:30:00+07:00`. */
export function formatHoChiMinh(ms: number): string {
  return `${new Date(ms + HO_CHI_MINH_OFFSET_MINUTES * 60_000).toISOString().slice(0, 19)}+07:00`;
}

export function isRfc3339(text: string): boolean {
  return parseRfc3339(text) !== null;
}

export function isDvcqgTime(text: string): boolean {
  return parseDvcqgTime(text) !== null;
}
