import { PERIOD_SQL, type PeriodKind, periodStartOf, TIME_ZONE } from '../periods.ts';
import { utcDate } from '../utc.ts';
import { BEFORE, type CellLayout, factsSourceSql, participationSql, periodOfSql } from './cells.sql.ts';
import { countsNothing } from './counters.sql.ts';

// The live cells: the open dossiers' rows of the running periods, judged at {now} (generation.sql.ts
// openLiveCellsSql writes them whole; crossed.sql.ts carries them from one cycle to the next).

/**
 * The open dossiers' rows of the running period of every kind, judged at {now}, as cells: one pass over
 * `source` (open facts) and one grouping. An open dossier's row is the same in every kind's running
 * period (judged at {now}, not finished in it) but for in_received and in_filed — received (filed) since
 * that period began — and index766_period (0 in a day, 1 in the other kinds), so counters that read them
 * are aggregated once per kind with them read as that kind's (index766_period as its constant), and the
 * others once for all kinds (crossed.sql.ts counts a few dossiers judged at two instants the other way
 * round). Aggregates are named once however many kinds or counters read them (a month's, a quarter's and a
 * year's counters that read only index766_period are the same), and one that can only count 0 (a
 * condition `0 AND …`: the day's index766 counters, and those of dossiers finished in the period, which
 * no live row is) is not aggregated: the statement's planning grows with the aggregates it names
 * (bench/README.md), and its grouping with those it computes.
 */
export function liveCellsSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  source: string,
  sharedFlags: Partial<Record<PeriodKind, PeriodKind>> = {},
): string {
  const now = "{now:DateTime64(3, 'UTC')}";
  const since = (k: PeriodKind) => `toDateTime64(${PERIOD_SQL[k].startOf(now)}, 3, '${TIME_ZONE}')`;
  const own = kinds.filter((k) => sharedFlags[k] === undefined || !kinds.includes(sharedFlags[k]));
  return cellsByKindSql(kinds, layout, {
    participation: participationSql('day', source),
    flags: (k) =>
      own.includes(k)
        ? `received_at IS NOT NULL AND received_at >= ${since(k)} AS in_received_${k},
    start_at >= ${since(k)} AS in_filed_${k}`
        : undefined,
    flagsOf: (k) => (own.includes(k) ? k : (sharedFlags[k] ?? k)),
    period: (k) => PERIOD_SQL[k].startOf(now),
    where: 'live AND sign = 1',
    live: true,
  });
}

/**
 * Which kinds' running periods begin on the same city day as a longer kind's at `now` (a UTC instant as
 * text): in the city's first day of a month the day's period begins with the month's, in its first day of a
 * year every kind's with the year's. Their in_received and in_filed equal that kind's, so liveCellsSql reads
 * that kind's flags (`sharedFlags`): aggregates that differed only by them are then the same text, named
 * once (57 aggregates on most days; 53 on the first of a month, 38 of a quarter, 23 of a year).
 */
export function sharedFlagsAt(
  kinds: readonly PeriodKind[],
  now: string,
): Partial<Record<PeriodKind, PeriodKind>> {
  const at = utcDate(now);
  const shared: Partial<Record<PeriodKind, PeriodKind>> = {};
  for (const k of kinds) {
    const longest = LONGEST_FIRST.find(
      (l) => kinds.includes(l) && periodStartOf(l, at) === periodStartOf(k, at),
    );
    if (longest !== undefined && longest !== k) shared[k] = longest;
  }
  return shared;
}

/** Period kinds from the longest. */
const LONGEST_FIRST: readonly PeriodKind[] = ['year', 'quarter', 'month', 'day'];

/** The start of the period of `kind` containing the Date column `period_start` (a day's period). */
const PERIOD_OF_DAY: Record<PeriodKind, string> = {
  day: 'period_start',
  month: 'toStartOfMonth(period_start)',
  quarter: 'toStartOfQuarter(period_start)',
  year: 'toStartOfYear(period_start)',
};

/**
 * The settled rows of the periods of `kinds` that ended at the one city midnight a cycle crossed (from
 * {judged_before}'s day to the next: a day, and a month, quarter or year that ended with it), of the open
 * facts `from` (a FROM body), as cells: one pass judging each open dossier once per day, not once per kind.
 * The periods of every kind of `kinds` that a dossier takes part in from {judged_before}'s on are then the
 * two around that midnight, one for each of its day rows, ending (or judged) at the same instant, so its
 * row is the same in every kind but for in_received and in_filed (read against the kind's period of the
 * day) and index766_period, as in liveCellsSql. Not so for a dossier that finished before
 * {judged_before}'s day began (only one that started after {judged_before} can still be open there): it
 * has no day row but may have one in a longer period (EARLY_FINISHES_SQL; kpi-cycle.ts stages such a
 * cycle kind by kind).
 */
export function settledAtMidnightCellsSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  from: string,
): string {
  return cellsByKindSql(kinds, layout, {
    participation: participationSql('day', factsSourceSql(from, 1, periodOfSql('day', BEFORE))),
    flags: (k) =>
      `received_at IS NOT NULL AND ${PERIOD_SQL[k].startOf('received_at')} = ${PERIOD_OF_DAY[k]} AS in_received_${k},
    ${PERIOD_SQL[k].startOf('start_at')} = ${PERIOD_OF_DAY[k]} AS in_filed_${k}`,
    flagsOf: (k) => k,
    period: (k) => PERIOD_OF_DAY[k],
    where: 'NOT live',
    live: false,
  });
}

/**
 * Open dossiers that finished before the city day of {judged_before} began, which settledAtMidnightCellsSql
 * does not count: read without FINAL, only the rows the condition keeps are summed per dossier.
 */
export const EARLY_FINISHES_SQL = `
SELECT count() AS n FROM
(
  SELECT dossier_code FROM kpi_open_facts_v1
  WHERE finished_at < toDateTime64(${periodOfSql('day', BEFORE)}, 3, '${TIME_ZONE}')
  GROUP BY dossier_code
  HAVING sum(sign) > 0
)`;

/**
 * Cells of several kinds from one pass of day participation rows: aggregates that read a per-kind flag
 * (in_received, in_filed, index766_period) once per kind with the kind's (`flags`: its columns
 * in_received_<kind> and in_filed_<kind>; index766_period its constant), the others once for all kinds,
 * each named once and none that can only count 0; grouped by the cell and, for settled rows, the day, then
 * one row per kind in its period (`period`). `live`: the rows are live, none finished in its period.
 */
function cellsByKindSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  spec: {
    participation: string;
    /** A kind's flag columns, or none when it reads another kind's (`flagsOf`). */
    flags: (k: PeriodKind) => string | undefined;
    /** The kind whose flag columns a kind's aggregates read. */
    flagsOf: (k: PeriodKind) => PeriodKind;
    period: (k: PeriodKind) => string;
    where: string;
    live: boolean;
  },
): string {
  const perKindFlag = /\b(in_received|in_filed|index766_period)\b/g;
  const perKind = layout.aggregates.map((a) => /\b(in_received|in_filed|index766_period)\b/.test(a));
  const received = kinds
    .map(spec.flags)
    .filter((f) => f !== undefined)
    .join(',\n    ');
  const named = new Map<string, number>();
  const value = (aggregate: string) => {
    if (countsNothing(aggregate)) return 'toInt64(0)';
    const text = `toInt64(${aggregate})`;
    const index = named.get(text) ?? named.size + 1;
    named.set(text, index);
    return `agg_${index}`;
  };
  const ofKind = (aggregate: string, k: PeriodKind) =>
    aggregate.replace(perKindFlag, (flag) =>
      flag === 'index766_period' ? (k === 'day' ? '0' : '1') : `${flag}_${spec.flagsOf(k)}`,
    );
  // A live row is one not finished in its period (participationSql `live`): in_finished is 0 in every row.
  const unfinished = (aggregate: string) =>
    spec.live ? aggregate.replace(/\bin_finished\b/g, '0') : aggregate;
  const shared = layout.aggregates.map((a, i) => (perKind[i] ? undefined : value(unfinished(a))));
  const byKind = kinds
    .map((k) => {
      const counters = layout.aggregates
        .filter((_, i) => perKind[i])
        .map((a) => value(unfinished(ofKind(a, k))));
      return `('${k}', ${spec.period(k)}, [${counters.join(', ')}])`;
    })
    .join(',\n    ');
  let k = 0;
  const columns = layout.columns.map((c, i) => `${shared[i] ?? `kp.3[${++k}]`} AS ${c}`).join(', ');
  const key = `${spec.live ? '' : 'period_start, '}admin_level, agency_code, field_code, procedure_code`;
  return `
SELECT kp.1 AS period_kind, kp.2 AS period_start, admin_level, agency_code, field_code, procedure_code, ${columns}
FROM
(
  SELECT ${key},
    ${[...named].map(([text, i]) => `${text} AS agg_${i}`).join(',\n    ')},
    [${byKind}] AS by_kind
  FROM
  (
    SELECT *,
    ${received}
    FROM (${spec.participation})
    WHERE ${spec.where}
  )
  GROUP BY ${key}
)
ARRAY JOIN by_kind AS kp`;
}
