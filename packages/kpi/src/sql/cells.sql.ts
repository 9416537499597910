import { type KpiDefinition, kpiSql } from '../kpi-definition.ts';
import { PERIOD_SQL, type PeriodKind, periodEndSql } from '../periods.ts';
import { countsNothing, NAMED_COUNTERS } from './counters.sql.ts';
import {
  dossierPeriodsSql,
  monthsPeriodEndSql,
  monthsPeriodsSql,
  monthsStartOfSql,
  runPeriodPairsSql,
  settledStretchesSql,
} from './run-periods.sql.ts';

/** Run periods of the dossier KPIs: 'touched' ones for the scopes of the run's cell deltas only. */
export const DOSSIER_PURPOSES = ['dossier', 'all', 'touched'] as const;

/** What the KPIs read from a dossier's facts. */
const KPI_FACTS = `agency_code, admin_level, field_code, procedure_code, channel, start_at, received_at, finished_at,
  finish_kind, due_at, due_before_at, due_moved_at, deadline_no_due, supplement_requested_at, supplement_received_at, fee_known,
  fee_positive, paid_online, fee_bearing, rating_satisfied, digitized, synced_national, e_result,
  online_with_result, dossier_digitized, data_reused, data_shared, population_db`;

/** The columns of a dossier's facts (kpi_dossier_facts_v1, kpi_open_facts_v1, kpi_stage_facts_v1). */
export const FACT_COLUMNS = `dossier_code, ${KPI_FACTS}, facts_version`;

/** A hash of everything the KPIs read from a facts row: equal hashes, equal contributions. */
export const FACTS_HASH = `sipHash64(toString(tuple(${KPI_FACTS})))`;

// Parameters of a cycle generation's statements (generation.sql.ts): {now}, {judged_before}, and the
// facts staged by {run_id} under a role.
export const NOW = "{now:DateTime64(3, 'UTC')}";
export const BEFORE = "{judged_before:DateTime64(3, 'UTC')}";
export const STAGED = (role: string) =>
  `kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = '${role}'`;
export const CHANGED = `SELECT dossier_code FROM ${STAGED('new')}`;

/**
 * Whether a facts row's contribution still depends on the instant it is judged at `t` (a DateTime64
 * expression): it has started after `t`, or is still open (or finishes after `t`). Every other dossier
 * contributes the same rows to every period for ever, until its facts change.
 */
export function volatileAtSql(t: string): string {
  return `(start_at IS NOT NULL AND (start_at > ${t} OR finished_at IS NULL OR finished_at >= ${t}))`;
}

/**
 * A participation source (see participationSql): the fact columns of `from` (a FROM body, conditions
 * allowed), every row counted with `sign` and taking part in no period that starts before `clipFrom`.
 */
export function factsSourceSql(from: string, sign: 1 | -1, clipFrom: string): string {
  return `SELECT ${FACT_COLUMNS}, toInt8(${sign}) AS sign, ${clipFrom} AS clip_from FROM ${from}`;
}

/**
 * One row per (dossier, period it takes part in) of `source` (fact columns, `sign` Int8 and `clip_from`
 * Date: no period starting before it), judged at {now}, with the flags every dossier KPI is written
 * against and `live`: the row belongs to a period still running at {now} and the dossier is open then,
 * so its verdict moves with time (such rows never enter kpi_cells_v1).
 *
 * On time (national rule), judged at the finish when the dossier finished in the period, otherwise at
 * the period end (or now, for the current period): more than one supplement request before that moment
 * makes it late; while the one supplement is still awaited at that moment the clock is paused (the wait
 * so far shifts the deadline); once it is received, the deadline is the appointment the record carries
 * then, which agency systems re-issue on receipt (DVCQG NgayHenTra / NgayHenTraMoi, the canonical
 * due_at): adding the finished wait to it again would count it twice. The due date is the appointment in
 * force at that moment: before the last re-issue (due_moved_at) the one it replaced (due_before_at), so a
 * past period's end between the original due date and a late supplement is judged by the original one.
 * The deadline is that due date, else the procedure's legal maximum in working days from the start
 * (deadline_no_due); with neither, it is on time.
 */
export function participationSql(kind: PeriodKind | 'months', source: string, stretched = false): string {
  const months = kind === 'months';
  if (months && stretched) throw new Error('periods of several kinds are not settled in stretches');
  const startOf = months ? monthsStartOfSql : PERIOD_SQL[kind].startOf;
  const periods = months
    ? `${monthsPeriodsSql('clip_from')} AS p`
    : stretched
      ? `${settledStretchesSql(kind, 'clip_from')} AS stretch`
      : `${dossierPeriodsSql(kind, 'clip_from')} AS p`;
  const periodEnd = months ? monthsPeriodEndSql('p') : periodEndSql(kind, 'p');
  return `
SELECT
  ${stretched ? 'stretch.1 AS p, stretch.2 AS span, ' : ''}${months ? 'period_kind, ' : ''}p AS period_start,
  sign,
  toString(admin_level) AS admin_level,
  toString(agency_code) AS agency_code,
  toString(field_code) AS field_code,
  toString(procedure_code) AS procedure_code,
  channel, fee_known, fee_positive, paid_online, fee_bearing, rating_satisfied, digitized, received_at, start_at,
  synced_national, e_result, online_with_result, dossier_digitized, data_reused, data_shared, population_db,
  ${periodEnd} AS period_end,
  least(period_end, {now:DateTime64(3, 'UTC')}) AS judged_at,
  received_at IS NOT NULL AND ${startOf('received_at')} = p AS in_received,
  ${startOf('start_at')} = p AS in_filed,
  ${months ? 'step != 0' : kind === 'day' ? 0 : 1} AS index766_period,
  finish_kind != 'rejected' AS accepted,
  received_at IS NOT NULL AND accepted AS in_population,
  finished_at IS NOT NULL AND finished_at < judged_at AND ${startOf('finished_at')} = p AS in_finished,
  period_end > {now:DateTime64(3, 'UTC')} AND NOT in_finished AS live,
  finish_kind IN ('resolved', 'result_returned') AS resolved,
  if(in_finished, finished_at, judged_at) AS judge_t,
  ${onTimeSql('judge_t')}
FROM (${source})
ARRAY JOIN ${periods}
WHERE start_at IS NOT NULL AND start_at <= {now:DateTime64(3, 'UTC')}`;
}

/**
 * The on-time verdict of a dossier's facts judged at `t` (a DateTime64 expression), as the columns
 * supplement_requests, waiting_ms, deadline and on_time (the rule is participationSql's).
 */
export function onTimeSql(t: string): string {
  return `arrayCount(x -> x < ${t}, supplement_requested_at) AS supplement_requests,
  if(supplement_requests = 1 AND NOT arrayExists(x -> x < ${t}, supplement_received_at),
     dateDiff('millisecond', supplement_requested_at[1], ${t}),
     0) AS waiting_ms,
  coalesce(if(${t} < due_moved_at, due_before_at, due_at), deadline_no_due) AS deadline,
  supplement_requests <= 1 AND (deadline IS NULL OR ${t} <= deadline + toIntervalMillisecond(waiting_ms)) AS on_time`;
}

/** Counter columns of kpi_cells_v1 / kpi_stage_cells_v1 (migration 0020): c01 … c32. */
export const CELL_CAPACITY = 32;
const column = (i: number) => `c${String(i + 1).padStart(2, '0')}`;

/**
 * The cell layout: which counter column holds which count. For each dossier KPI `<id>:n` and `<id>:d`,
 * then the named counters (counters.sql.ts: `_rows`, the Decision 766 counts, the per-procedure counts),
 * each with the aggregate over participation rows that fills it.
 */
export interface CellLayout {
  keys: string[];
  columns: string[];
  aggregates: string[];
  /** The counter column of a key. */
  at(key: string): string;
}

export function cellLayout(kpis: readonly KpiDefinition[]): CellLayout {
  const keys = [...kpis.flatMap((k) => [`${k.id}:n`, `${k.id}:d`]), ...NAMED_COUNTERS.map((c) => c.key)];
  if (keys.length > CELL_CAPACITY) {
    throw new Error(
      `${keys.length} cell counters needed, kpi_cells_v1 has ${CELL_CAPACITY}: add columns in a migration`,
    );
  }
  const aggregates = [
    ...kpis.flatMap((k) => [kpiSql(k).numerator, kpiSql(k).denominator]),
    ...NAMED_COUNTERS.map((c) => c.aggregate),
  ];
  const columns = keys.map((_, i) => column(i));
  return {
    keys,
    columns,
    aggregates,
    at(key) {
      const index = keys.indexOf(key);
      if (index < 0) throw new Error(`no cell counter for ${key}`);
      return column(index);
    },
  };
}

export const CELL_KEY_COLUMNS =
  'period_kind, period_start, admin_level, agency_code, field_code, procedure_code';

/**
 * Participation rows of `kind` grouped into cells (period × admin level × agency × field × procedure),
 * each counter multiplied by the rows' sign: (period_kind, period_start, admin_level, agency_code,
 * field_code, procedure_code, <counter columns>). `where` filters participation rows (e.g. `NOT live`).
 */
export function cellsSql(
  kind: PeriodKind | 'months',
  layout: CellLayout,
  source: string,
  where: string,
  stretched = false,
): string {
  // A day's rows have index766_period 0 (participationSql): its counters that read it can only count 0 and
  // are written as 0, not aggregated (17 of 28: the settled day groups every open dossier's rows).
  const zero = layout.aggregates.map(
    (a) => kind === 'day' && countsNothing(a.replace(/\bindex766_period\b/g, '0')),
  );
  const counters = layout.aggregates
    .map((a, i) => `${zero[i] ? 'toInt64(0)' : `toInt64(${a}) * sign`} AS ${layout.columns[i]}`)
    .join(',\n  ');
  if (kind === 'months') {
    return `
SELECT period_kind, period_start, admin_level, agency_code, field_code, procedure_code,
  ${counters}
FROM (${participationSql(kind, source)})
WHERE ${where}
GROUP BY period_kind, period_start, admin_level, agency_code, field_code, procedure_code, sign`;
  }
  if (!stretched) {
    return `
SELECT '${kind}' AS period_kind, period_start, admin_level, agency_code, field_code, procedure_code,
  ${counters}
FROM (${participationSql(kind, source)})
WHERE ${where}
GROUP BY period_start, admin_level, agency_code, field_code, procedure_code, sign`;
  }
  // Each dossier judged once per stretch (settledStretchesSql), the stretches' counts summed per cell and
  // stretch, then spread over the stretch's periods without a row per stretch and period: per cell, each
  // stretch adds its counts where it starts and takes them back where it ends, and the running sums of
  // these steps in period order are the cell's counts from one step to the next (`covered`: how many
  // stretches cover it). A period comes out where a stretch covers it, as a GROUP BY of every stretch's
  // periods would have it: the same rows, cancelled ones included (a changed dossier's old and new rows).
  const { add, unit } = PERIOD_SQL[kind];
  const summed = layout.columns.filter((_, i) => !zero[i]);
  const steps = (at: string, by: string) =>
    `arrayMap(s -> (${at}, ${by}${summed.map((_, j) => `, ${by} * s.${j + 3}`).join('')}), stretches)`;
  const running = ['covered', ...summed]
    .map((c, j) => `arrayCumSum(arrayMap(x -> x.${j + 2}, steps)) AS run_${c}`)
    .join(',\n    ');
  const counts = layout.columns.map((c, i) => (zero[i] ? `toInt64(0) AS ${c}` : `${c}`)).join(', ');
  return `
SELECT '${kind}' AS period_kind, ${add}(step_at, i) AS period_start, admin_level, agency_code, field_code,
  procedure_code, ${counts}
FROM
(
  SELECT admin_level, agency_code, field_code, procedure_code,
    arraySort(x -> x.1, arrayConcat(${steps('s.1', 'toInt64(1)')},
      ${steps(`${add}(s.1, s.2)`, 'toInt64(-1)')})) AS steps,
    arrayMap(x -> x.1, steps) AS step_ats,
    arrayPushBack(arrayPopFront(step_ats), step_ats[-1]) AS next_ats,
    ${running}
  FROM
  (
    SELECT admin_level, agency_code, field_code, procedure_code,
      groupArray((stretch_first, span${summed.map((c) => `, ${c}`).join('')})) AS stretches
    FROM
    (
      SELECT period_start AS stretch_first, span, admin_level, agency_code, field_code, procedure_code,
        ${counters}
      FROM (${participationSql(kind, source, true)})
      WHERE ${where}
      GROUP BY period_start, span, admin_level, agency_code, field_code, procedure_code, sign
    )
    GROUP BY admin_level, agency_code, field_code, procedure_code
  )
)
ARRAY JOIN step_ats AS step_at, next_ats AS next_at, run_covered AS covered${summed
    .map((c) => `, run_${c} AS ${c}`)
    .join('')}
ARRAY JOIN range(toUInt32(if(covered > 0, dateDiff('${unit}', step_at, next_at), 0))) AS i`;
}

/** The scopes a cell counts in, as (scope_kind, scope_code): the city, then whichever codes it has. */
export const SCOPES_OF_CELL = `arrayConcat([('city', '')], arrayFilter(s -> s.2 != '',
  [('admin_level', toString(admin_level)), ('agency', toString(agency_code)), ('field', toString(field_code)),
   ('procedure', toString(procedure_code))]))`;

/**
 * New values of the dossier KPIs for the run's periods of `kinds`, in one statement (each statement costs
 * tens of ms of planning): (kpi, scope_kind, scope_code, period_kind, period_start, numerator,
 * denominator, score_override, max_score_override, reason, scope_rows), from kpi_scope_cells_v1 (the
 * cells summed per scope) plus the run's live cells (open dossiers judged at {now}, written by {live_id})
 * fanned out to their scopes, for every scope of a 'dossier' or 'all' period and, in a period only
 * 'touched', for the scopes the run's staged cells reach (its 'delta' and 'crossed' rows: changed
 * dossiers, or the crossed dossiers of a cycle starting from the previous live cells). Every such scope
 * comes out, with scope_rows 0 when its dossiers all left (writeChangedValuesSql drops those when nothing
 * was stored for them), so the staged keys are the keys the write compares (dossierWriteKeysSql).
 */
export function dossierValuesSql(
  kinds: readonly PeriodKind[],
  kpis: readonly KpiDefinition[],
  layout: CellLayout,
): string {
  const periods = runPeriodPairsSql(kinds, DOSSIER_PURPOSES);
  const total = (key: string) => `sum(${layout.at(key)})`;
  const nums = kpis.map((k) => total(`${k.id}:n`)).join(', ');
  const dens = kpis.map((k) => total(`${k.id}:d`)).join(', ');
  // Only the counters summed here are read: every other cell column is text to plan and nothing more.
  const read = [
    ...new Set([...kpis.flatMap((k) => [`${k.id}:n`, `${k.id}:d`]), '_rows'].map((key) => layout.at(key))),
  ];
  const columns = read.join(', ');
  const zeros = read.map((c) => `toInt64(0) AS ${c}`).join(', ');
  const spread = `ARRAY JOIN arrayFilter(s -> s.1 IN {scope_kinds:Array(String)}, ${SCOPES_OF_CELL}) AS sc`;
  // The live cells are read as their base's sums per scope (live-scopes.sql.ts) plus the chain's links (the
  // crossed rows of the cycles since: a few cells each) spread to their scopes, not as every live cell
  // spread to its five scopes. A base stored without its sums (by an older version) is spread whole as
  // before. The scopes of a 'touched' period are chosen once, on the sums per scope, by a flag the run's
  // staged rows bring with zero counters (`moved`): each set of keys an `IN` builds costs a subquery's
  // planning and run, and a condition on the grouping key keeps or drops a group whole, as it did each of
  // its rows. The stored sums are read for the run's periods whole: at most a catalog's scopes per period.
  return `
SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
  CAST(NULL AS Nullable(Float64)) AS score_override, CAST(NULL AS Nullable(Float64)) AS max_score_override,
  '' AS reason, scope_rows
FROM
(
  SELECT period_kind, period_start, scope_kind, scope_code, [${nums}] AS nums, [${dens}] AS dens,
    toUInt64(${total('_rows')}) AS scope_rows
  FROM
  (
    SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
      ${columns}, 0 AS moved
    FROM kpi_scope_cells_v1 WHERE (period_kind, period_start) IN ${periods} AND scope_kind IN {scope_kinds:Array(String)}
    UNION ALL
    SELECT toString(period_kind) AS period_kind, period_start, toString(admin_level) AS scope_kind,
      toString(agency_code) AS scope_code, ${columns}, 0 AS moved
    FROM kpi_stage_cells_v1
    WHERE run_id = {live_base:String} AND role = 'scopes' AND (period_kind, period_start) IN ${periods}
      AND scope_kind IN {scope_kinds:Array(String)}
    UNION ALL
    SELECT toString(period_kind) AS period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code, ${columns}, 0 AS moved
    FROM (SELECT * FROM kpi_stage_cells_v1 WHERE ${UNSUMMED_LIVE_ROWS} AND (period_kind, period_start) IN ${periods})
    ${spread}
    UNION ALL
    SELECT toString(period_kind) AS period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code, ${zeros}, 1 AS moved
    FROM kpi_stage_cells_v1 ${spread}
    WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed')
      AND (period_kind, period_start) IN ${runPeriodPairsSql(kinds, ['touched'])}
  )
  GROUP BY period_kind, period_start, scope_kind, scope_code
  HAVING max(moved) = 1 OR (period_kind, period_start) IN ${runPeriodPairsSql(kinds, ['dossier', 'all'])}
)
ARRAY JOIN {kpi_ids:Array(String)} AS kpi, arrayMap(x -> toUInt64(x), nums) AS numerator,
  arrayMap(x -> toUInt64(x), dens) AS denominator`;
}

/**
 * Which stored keys of the run's periods of `kinds` the dossier KPIs' write compares (writeChangedValuesSql),
 * as a condition on (period_kind, period_start, scope_kind, scope_code): every key of a 'dossier' or 'all'
 * period (the current ones, a rebuild, a range: a stored key no longer computed is written back as 0/0), and
 * in a period only 'touched' the keys staged as {values_id} (dossierValuesSql stages every scope the run's
 * cell deltas or crossed rows reach, moved or not). The values of any other scope read cells that did not
 * change: late data for a few dossiers over years of periods rewrites a few scopes each, a due time passing
 * the scopes of the dossiers it passed for.
 */
export function dossierWriteKeysSql(kinds: readonly PeriodKind[]): string {
  return `((period_kind, period_start) IN ${runPeriodPairsSql(kinds, ['dossier', 'all'])}
    OR (period_kind, period_start, scope_kind, scope_code) IN
      (SELECT toString(period_kind), period_start, toString(scope_kind), scope_code
       FROM kpi_stage_values_v1 WHERE values_id = {values_id:String}))`;
}

/**
 * The rows of kpi_stage_cells_v1 that hold a generation's live cells, as a condition: the 'live' rows of
 * {live_base} plus the 'crossed' rows of the runs in {live_links} (kpi_cycles_v1 live_base, live_links,
 * migration 0251). Summed per cell they are its live cells; a reader that only sums them (per scope, or
 * hashed linearly) may read them as they are, where a cell whose rows cancel out counts 0 as one absent.
 */
export const LIVE_ROWS = `((run_id = {live_base:String} AND role = 'live')
      OR (run_id IN {live_links:Array(String)} AND role = 'crossed'))`;

/**
 * LIVE_ROWS less the base's rows when the base's sums per scope are stored (live-scopes.sql.ts): the rows
 * a reader of those sums still spreads to their scopes (the links' crossed rows, and a base stored by an
 * older version without its sums).
 */
const UNSUMMED_LIVE_ROWS = `((run_id = {live_base:String} AND role = 'live'
        AND (SELECT count() FROM kpi_stage_cells_v1 WHERE run_id = {live_base:String} AND role = 'scopes') = 0)
      OR (run_id IN {live_links:Array(String)} AND role = 'crossed'))`;

/**
 * The run's live cells (LIVE_ROWS) of the periods `periods` selects, as a FROM body: its rows as they
 * are, for readers that sum them per scope (no `layout`), or one row per cell without those whose
 * counters cancelled out, as a generation writing them whole stores them.
 */
export function liveCellsOfRunSql(periods: string, layout?: CellLayout): string {
  const rows = `kpi_stage_cells_v1 WHERE ${LIVE_ROWS} AND (period_kind, period_start) IN ${periods}`;
  if (!layout) return `(SELECT * FROM ${rows})`;
  const sums = layout.columns.map((c) => `sum(${c}) AS sum_${c}`).join(', ');
  return `(SELECT ${CELL_KEY_COLUMNS}, ${layout.columns.map((c) => `sum_${c} AS ${c}`).join(', ')}
    FROM (SELECT ${CELL_KEY_COLUMNS}, ${sums} FROM ${rows} GROUP BY ${CELL_KEY_COLUMNS}
      HAVING ${layout.columns.map((c) => `sum_${c} != 0`).join(' OR ')}))`;
}

/** A Date expression: the first period of `kind` whose rows a source contributes (days start at the floor). */
export function clipFromSql(kind: PeriodKind): string {
  return kind === 'day' ? '{day_floor:Date}' : "toDate('1970-01-01')";
}

/** The period of `kind` containing the DateTime64 expression `t`. */
export function periodOfSql(kind: PeriodKind, t: string): string {
  return PERIOD_SQL[kind].startOf(t);
}
