/** Day boundaries are the city's: a dossier received at 23:30 local time on 31 March belongs to March. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const UTC_OFFSET_MS = 7 * 3_600_000; // Vietnam has no daylight saving time.

export const PERIOD_KINDS = ['day', 'month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export const SCOPE_KINDS = ['city', 'admin_level', 'agency', 'field', 'procedure'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

/** Programme phases of the city's plan: phase 1 = 2021–2025, phase 2 = 2026–2030. */
export type Phase = 1 | 2;
export const PHASES: Readonly<Record<Phase, { from: string; to: string }>> = {
  1: { from: '2021-01-01', to: '2025-12-31' },
  2: { from: '2026-01-01', to: '2030-12-31' },
};

/** The phase a period falls in, judged by its start date (`YYYY-MM-DD`); null outside 2021–2030. */
export function phaseOf(periodStart: string): Phase | null {
  const year = Number(periodStart.slice(0, 4));
  if (year >= 2021 && year <= 2025) return 1;
  if (year >= 2026 && year <= 2030) return 2;
  return null;
}

/** Start date (`YYYY-MM-DD`, city time) of the period of `kind` containing the instant `at`. */
export function periodStartOf(kind: PeriodKind, at: Date): string {
  const local = new Date(at.getTime() + UTC_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const d = local.getUTCDate();
  switch (kind) {
    case 'day':
      return isoDate(y, m, d);
    case 'month':
      return isoDate(y, m, 1);
    case 'quarter':
      return isoDate(y, m - (m % 3), 1);
    case 'year':
      return isoDate(y, 0, 1);
  }
}

/** Start of the following period, as `YYYY-MM-DD`. */
export function nextPeriodStart(kind: PeriodKind, periodStart: string): string {
  const [y, m, d] = periodStart.split('-').map(Number) as [number, number, number];
  const step = { day: [0, 0, 1], month: [0, 1, 0], quarter: [0, 3, 0], year: [1, 0, 0] }[kind];
  const next = new Date(Date.UTC(y + step[0]!, m - 1 + step[1]!, d + step[2]!));
  return isoDate(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate());
}

/** Every period of `kind` overlapping the dates [from, to] (inclusive), in order. */
export function periodsBetween(kind: PeriodKind, from: string, to: string): string[] {
  const out: string[] = [];
  const first = periodStartOf(kind, new Date(`${from}T00:00:00+07:00`));
  for (let p = first; p <= to; p = nextPeriodStart(kind, p)) out.push(p);
  return out;
}

function isoDate(y: number, monthIndex: number, day: number): string {
  const date = new Date(Date.UTC(y, monthIndex, day));
  return date.toISOString().slice(0, 10);
}

/**
 * ClickHouse expressions per period kind. Only these constants are spliced into SQL (identifiers and
 * function names from code); every value goes through query parameters.
 */
export const PERIOD_SQL: Readonly<
  Record<PeriodKind, { startOf: (ts: string) => string; add: string; unit: string }>
> = {
  day: { startOf: (ts) => `toDate(${ts}, '${TIME_ZONE}')`, add: 'addDays', unit: 'day' },
  month: {
    startOf: (ts) => `toStartOfMonth(toDate(${ts}, '${TIME_ZONE}'))`,
    add: 'addMonths',
    unit: 'month',
  },
  quarter: {
    startOf: (ts) => `toStartOfQuarter(toDate(${ts}, '${TIME_ZONE}'))`,
    add: 'addQuarters',
    unit: 'quarter',
  },
  year: { startOf: (ts) => `toStartOfYear(toDate(${ts}, '${TIME_ZONE}'))`, add: 'addYears', unit: 'year' },
};

/** Array of period starts from the period of `fromTs` to the period of `toTs` (empty when reversed). */
export function periodRangeSql(kind: PeriodKind, fromTs: string, toTs: string): string {
  const k = PERIOD_SQL[kind];
  const first = k.startOf(fromTs);
  const last = k.startOf(toTs);
  return `arrayMap(i -> ${k.add}(${first}, i), range(toUInt32(greatest(0, dateDiff('${k.unit}', ${first}, ${last}) + 1))))`;
}

/** The instant (city midnight) at which the period starting at the Date expression `p` ends. */
export function periodEndSql(kind: PeriodKind, p: string): string {
  return `toDateTime64(${PERIOD_SQL[kind].add}(${p}, 1), 3, '${TIME_ZONE}')`;
}
