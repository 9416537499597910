import { PERIOD_SQL, type PeriodKind, TIME_ZONE } from '../periods.ts';
import { type CellLayout, participationSql } from './cells.sql.ts';
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
export function liveCellsSql(kinds: readonly PeriodKind[], layout: CellLayout, source: string): string {
  const now = "{now:DateTime64(3, 'UTC')}";
  const participation = participationSql('day', source);
  const perKindFlag = /\b(in_received|in_filed|index766_period)\b/g;
  const perKind = layout.aggregates.map((a) => /\b(in_received|in_filed|index766_period)\b/.test(a));
  const since = (k: PeriodKind) => `toDateTime64(${PERIOD_SQL[k].startOf(now)}, 3, '${TIME_ZONE}')`;
  const received = kinds
    .map(
      (k) =>
        `received_at IS NOT NULL AND received_at >= ${since(k)} AS in_received_${k},
    start_at >= ${since(k)} AS in_filed_${k}`,
    )
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
      flag === 'index766_period' ? (k === 'day' ? '0' : '1') : `${flag}_${k}`,
    );
  // A live row is one not finished in its period (participationSql `live`): in_finished is 0 in every row.
  const unfinished = (aggregate: string) => aggregate.replace(/\bin_finished\b/g, '0');
  const shared = layout.aggregates.map((a, i) => (perKind[i] ? undefined : value(unfinished(a))));
  const byKind = kinds
    .map((k) => {
      const counters = layout.aggregates
        .filter((_, i) => perKind[i])
        .map((a) => value(unfinished(ofKind(a, k))));
      return `('${k}', ${PERIOD_SQL[k].startOf(now)}, [${counters.join(', ')}])`;
    })
    .join(',\n    ');
  let k = 0;
  const columns = layout.columns.map((c, i) => `${shared[i] ?? `kp.3[${++k}]`} AS ${c}`).join(', ');
  return `
SELECT kp.1 AS period_kind, kp.2 AS period_start, admin_level, agency_code, field_code, procedure_code, ${columns}
FROM
(
  SELECT admin_level, agency_code, field_code, procedure_code,
    ${[...named].map(([text, i]) => `${text} AS agg_${i}`).join(',\n    ')},
    [${byKind}] AS by_kind
  FROM
  (
    SELECT *,
    ${received}
    FROM (${participation})
    WHERE live AND sign = 1
  )
  GROUP BY admin_level, agency_code, field_code, procedure_code
)
ARRAY JOIN by_kind AS kp`;
}
