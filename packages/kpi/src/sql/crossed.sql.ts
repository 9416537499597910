import { PERIOD_SQL, type PeriodKind, TIME_ZONE } from '../periods.ts';
import {
  BEFORE,
  CELL_KEY_COLUMNS,
  type CellLayout,
  FACT_COLUMNS,
  LIVE_ROWS,
  NOW,
  participationSql,
  periodOfSql,
  volatileAtSql,
} from './cells.sql.ts';
import { counterSums } from './generation.sql.ts';

// A cycle whose only change since the last instant is time passing over some open dossiers' own instants
// (a due time, a supplement requested or received): which dossiers crossed one, and the live cells moved
// by them only. Parameters as generation.sql.ts's.

/**
 * Whether any open dossier's rows judged at {now} can differ from those judged at {judged_before}: one of
 * the instants its verdict turns at lies in [{judged_before}, {now}] — its start, its finish, a supplement
 * requested or received, or its deadline (due date, else the legal maximum; the appointment a re-issue
 * replaced, when it passed before the re-issue, and the re-issue itself). While the one supplement is
 * awaited the deadline moves with the judging instant, so the verdict holds until its receipt
 * (participationSql, onTimeSql). Cancelled rows may answer too, which only costs a cycle that
 * recomputes. With none, the same periods and no new data, a cycle changes nothing.
 */
export const CROSSED = `arrayExists(t -> ifNull(t >= ${BEFORE} AND t <= ${NOW}, 0),
  arrayConcat([start_at, finished_at, coalesce(due_at, deadline_no_due),
    if(due_before_at < due_moved_at, due_before_at, NULL), due_moved_at],
    arrayMap(x -> CAST(x AS Nullable(DateTime64(3, 'UTC'))), arrayConcat(supplement_requested_at, supplement_received_at))))`;

/**
 * A cycle whose only change since {judged_before} is open dossiers crossing one of their instants (no
 * new data, the same periods, none started or finished) changes the live cells by the crossed dossiers
 * only: every other open dossier's rows judged at {now} equal those judged at {judged_before}. Stages,
 * as role 'crossed' of {run_id}, their live cells judged at {now} minus those judged at {judged_before}
 * (the running periods are the same at both instants); counters that cancel out are dropped.
 *
 * With `changed` (a cycle with new data or dossiers that started or finished, the same periods), the run's
 * changed dossiers (its 'new' facts) count too: out with their open facts as judged at {judged_before},
 * in with their new facts if open at {now} (as STAGE_OPEN_FACTS_SQL moves them), and only the others
 * are judged at both instants. Rows no longer live at {now} (finished, the period ended) count only out,
 * as the settled cells take them in.
 */
export function stageCrossedCellsSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  changed = false,
): string {
  const judged = (from: string, instants: string, where: string) =>
    `SELECT ${FACT_COLUMNS}, j.2 AS sign, ${periodOfSql('day', 'j.1')} AS clip_from, j.1 AS judge_at
    FROM ${from} ARRAY JOIN ${instants} AS j
    WHERE ${where}`;
  const both = `[(${NOW}, toInt8(1)), (${BEFORE}, toInt8(-1))]`;
  const changedCodes =
    "SELECT dossier_code FROM kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = 'new'";
  // One read of the crossed dossiers, each row twice: judged at {now} counted in, at {judged_before} out.
  const source = changed
    ? [
        judged('kpi_open_facts_v1 FINAL', both, `${CROSSED} AND dossier_code NOT IN (${changedCodes})`),
        judged('kpi_open_facts_v1 FINAL', `[(${BEFORE}, toInt8(-1))]`, `dossier_code IN (${changedCodes})`),
        judged(
          'kpi_stage_facts_v1',
          `[(${NOW}, toInt8(1))]`,
          `run_id = {run_id:String} AND role = 'new' AND ${volatileAtSql(NOW)}`,
        ),
      ].join('\n    UNION ALL\n    ')
    : judged('kpi_open_facts_v1 FINAL', both, CROSSED);
  const columns = layout.columns.join(', ');
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${columns})
SELECT {run_id:String}, 'crossed', ${CELL_KEY_COLUMNS}, ${signedLiveSums(kinds, layout, source)}`;
}

/**
 * The live cells of `source`'s rows (fact columns, `sign` and `judge_at`: the instant each row is judged
 * at, in the running periods of {now}), as liveCellsSql (live-cells.sql.ts) counts open dossiers at {now}, each
 * row counted with its sign: the SELECT items (`sum_<counter>`) and the rest of the statement after them,
 * grouped per cell, without cells whose counters cancel out. Each row is repeated once per kind of `kinds`
 * and every counter is written once, with the per-kind flags (in_received, in_filed, index766_period) read
 * as that kind's. liveCellsSql writes the flagged counters once per kind instead, over one row per
 * dossier: the statement's planning grows with the counters it names (about 0.4 CPU-s for 88 of them,
 * whatever the rows), and the crossed dossiers are few. Every counter of the layout counts rows, and is
 * summed as the rows' signs (`countIf(c)` as `sumIf(sign, c)`) in one grouping (planning a grouping per
 * sign and a sum over them cost a fifth more); a layout with another aggregate is refused.
 */
function signedLiveSums(kinds: readonly PeriodKind[], layout: CellLayout, source: string): string {
  const now = "{now:DateTime64(3, 'UTC')}";
  const mark = '/* crossed source */';
  const participation = participationSql('day', mark).replaceAll(now, 'judge_at').replace(mark, source);
  const flag = /\b(in_received|in_filed|index766_period)\b/g;
  const ofKind = layout.aggregates.map((a) => a.replace(flag, (f) => `${f}_of_kind`));
  const signed = ofKind.map((a, i) => {
    const x = signedCountSql(a);
    // Every counter of the layout counts rows (cellLayout's KPIs and NAMED_COUNTERS); another aggregate
    // would need its own signed form here.
    if (x === undefined)
      throw new Error(`${layout.columns[i]}: ${a} is not a count, crossed cells sum signs`);
    return x;
  });
  const byKind = kinds.map((k) => `('${k}', ${PERIOD_SQL[k].startOf(now)})`).join(', ');
  const rows = `
(
  SELECT * EXCEPT (period_start), kp.1 AS period_kind, kp.2 AS period_start,
    received_at IS NOT NULL AND received_at >= toDateTime64(period_start, 3, '${TIME_ZONE}') AS in_received_of_kind,
    start_at >= toDateTime64(period_start, 3, '${TIME_ZONE}') AS in_filed_of_kind,
    period_kind != 'day' AS index766_period_of_kind
  FROM (${participation})
  ARRAY JOIN [${byKind}] AS kp
  WHERE live
)`;
  const sums = counterSums(layout.columns);
  return `${signed.map((x, i) => `${x} AS sum_${layout.columns[i]}`).join(', ')}
FROM ${rows}
GROUP BY ${CELL_KEY_COLUMNS}
HAVING ${sums.nonZero}`;
}

/** `count()` / `countIf(c)` over signed rows as the sum of their signs (undefined for another aggregate). */
function signedCountSql(aggregate: string): string | undefined {
  if (aggregate === 'count()') return 'sum(toInt64(sign))';
  const condition = /^countIf\((.*)\)$/s.exec(aggregate)?.[1];
  if (condition === undefined) return undefined;
  // The whole text between the outer parentheses: `countIf(a) + countIf(b)` is not one countIf.
  let depth = 0;
  for (const ch of condition) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) return undefined;
  }
  return depth === 0 ? `sumIf(toInt64(sign), ${condition})` : undefined;
}

/**
 * The run's live cells written whole (as {live_id}) from the previous generation's (PREVIOUS_LIVE_ROWS,
 * judged at {judged_before}) plus the crossed dossiers' change (stageCrossedCellsSql): what
 * stageLiveCellsSql computes from every open dossier, at the cost of reading cells. A cycle does so only
 * when the previous chain is due to start again (LIVE_CHAIN_LIMITS); otherwise its live cells are that
 * chain plus its own crossed rows, and nothing is copied.
 */
export function stageLiveFromCrossedSql(layout: CellLayout): string {
  const sums = counterSums(layout.columns);
  const columns = layout.columns.join(', ');
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${columns})
SELECT {live_id:String}, 'live', ${CELL_KEY_COLUMNS}, ${sums.select}
FROM kpi_stage_cells_v1
WHERE ${PREVIOUS_LIVE_ROWS} OR (run_id = {run_id:String} AND role = 'crossed')
GROUP BY ${CELL_KEY_COLUMNS}
HAVING ${sums.nonZero}`;
}

/** LIVE_ROWS (cells.sql.ts) of the previous generation: {previous_live_base}, {previous_live_links}. */
export const PREVIOUS_LIVE_ROWS = LIVE_ROWS.replace('{live_base:', '{previous_live_base:').replace(
  '{live_links:',
  '{previous_live_links:',
);

/**
 * When a cycle writes its live cells whole instead of adding its crossed rows to the previous chain: once
 * the chain links `links` runs, or its base was written `baseAgeS` seconds ago (staged rows are started
 * from while under 4 hours old: PREVIOUS_LIVE_READY_SQL; the links are younger than their base).
 */
export const LIVE_CHAIN_LIMITS = { links: 30, baseAgeS: 2 * 3_600 } as const;

/**
 * Whether the live cells of the previous generation can be started from (`n`): its base has some and none
 * is near the staged rows' expiry (6 hours, ttl_only_drop_parts: a part goes whole, so all or none of an
 * old run's); and whether the chain may grow (`grow`: its base is younger than LIVE_CHAIN_LIMITS). A base's
 * live rows are written by one statement (stageLiveCellsSql, stageLiveFromCrossedSql), which stamps them
 * all with its now() (`created_at DEFAULT now()`): one row read by the key tells their age, where reading
 * every row's took 0.014 CPU-s a cycle at 1M dossiers (170k live rows). Were a statement's rows stamped a
 * few seconds apart, the margins (2 hours before expiry; a chain limit) would not notice.
 */
export const PREVIOUS_LIVE_READY_SQL = `
SELECT toUInt8(count() > 0 AND min(created_at) > now() - INTERVAL 4 HOUR) AS n,
  toUInt8(count() > 0 AND min(created_at) > now() - INTERVAL ${LIVE_CHAIN_LIMITS.baseAgeS} SECOND) AS grow
FROM (SELECT created_at FROM kpi_stage_cells_v1 WHERE run_id = {previous_live_base:String} AND role = 'live' LIMIT 1)`;
