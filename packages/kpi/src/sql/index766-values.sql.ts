import { COMPONENTS, type Component, GROUPS, MISSING_REASON, TOTAL_KPI } from '../index766/components.ts';
import { ruleArgsOf, ruleHundredthsSql } from '../index766/score.sql.ts';
import { chainOfSql } from '../index766/units.ts';
import type { PeriodKind } from '../periods.ts';
import type { CellLayout } from './cells.sql.ts';
import { index766ScopeInputsSql } from './index766-sources.sql.ts';
import { runPeriodPairsSql } from './run-periods.sql.ts';

/** Run periods of every purpose: dossiers, the catalog and loaded figures all move the index. */
export const INDEX766_PURPOSES = ['dossier', 'touched', 'procedure', 'all', 'index766'] as const;

/** Run periods where every scope of the index is recomputed: all but those only 'touched' by dossiers. */
const INDEX766_FULL_PURPOSES = INDEX766_PURPOSES.filter((p) => p !== 'touched');

/**
 * Which (period_kind, period_start, scope_kind, scope_code) keys of the run's periods of `kinds` the
 * Decision 766 index is recomputed for, as a condition on those columns: every scope of a period the
 * catalog, loaded figures, a new day or a rebuild moved; in a period only 'touched' (by changed dossiers,
 * or in the running periods of a cycle starting from the previous live cells by open dossiers crossing a
 * due time or changing), the city and the chain (the agency and its ancestors, index766/units.ts) of
 * each agency whose cells changed there (the run's 'delta' and 'crossed' cells, as the dossier KPIs'
 * touched scopes: dossierValuesSql). Every other unit rolls up cells, live cells, procedure sets, catalog
 * sets and figures that did not change there, so its values stay as they were. `named`: inside index766ScopeInputsSql, whose WITH names
 * the agency chains (index766/units.ts UNITS_WITH).
 */
export function index766KeysSql(kinds: readonly PeriodKind[], named = false): string {
  const touched = runPeriodPairsSql(kinds, ['touched']);
  return `((period_kind, period_start) IN ${runPeriodPairsSql(kinds, INDEX766_FULL_PURPOSES)}
    OR (scope_kind = 'city' AND (period_kind, period_start) IN ${touched})
    OR (period_kind, period_start, scope_kind, scope_code) IN
      (SELECT DISTINCT toString(period_kind), period_start, 'agency', unit
       FROM kpi_stage_cells_v1 ARRAY JOIN ${chainOfSql('toString(agency_code)', named)} AS unit
       WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed') AND agency_code != ''
         AND (period_kind, period_start) IN ${touched}))`;
}

/**
 * What decides whether index766KeysSql is worth its cost in a run (index766KeyedSql): `touched_only`, the
 * run's periods of `kinds` that are only 'touched' (elsewhere the filter keeps every scope: it filters
 * nothing, yet its three subqueries and the staged cells' chains cost ~0.12 CPU-s of planning alone, at
 * 1M, in the statement and again in its write); `period_agencies`, the (period, agency) pairs whose
 * staged 'delta' and 'crossed' cells lie in those periods (the filter keeps their chains); `catalog`, the agencies of the
 * catalog. One row.
 */
export function index766KeysNeedSql(kinds: readonly PeriodKind[]): string {
  const touched = runPeriodPairsSql(kinds, ['touched']);
  const touchedOnly = `(SELECT period_kind, period_start FROM ${touched}
      WHERE (period_kind, period_start) NOT IN ${runPeriodPairsSql(kinds, INDEX766_FULL_PURPOSES)})`;
  return `SELECT (SELECT count() FROM ${touchedOnly}) AS touched_only,
  (SELECT uniqExact(period_kind, period_start, agency_code) FROM kpi_stage_cells_v1
   WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed') AND agency_code != ''
     AND (period_kind, period_start) IN ${touchedOnly}) AS period_agencies,
  (SELECT uniqExact(agency_code) FROM agencies_v1) AS catalog`;
}

/**
 * Whether a run's Decision 766 statement and write take index766KeysSql, from index766KeysNeedSql's row:
 * only when some period is only 'touched' and the agencies that moved there, counted period by period,
 * are fewer than half of those periods times the catalog's agencies. Otherwise every scope of the run's
 * periods is recomputed, which gives the same values: the scopes the filter would have left out roll up
 * inputs that did not change (index766KeysSql), and the write compares every key of the periods, so
 * their values, equal to the stored ones, are not written again. Counted per period, not over all of
 * them: 1,000 late dossiers at 1M fell in 7 periods and moved every agency in each (the filter dropped no
 * scope), at 10M in ~150 periods, a few agencies each, though together more than half the catalog (the
 * filter recomputes a few units per period instead of every one: without it the late-data cycle's
 * statement and write took 0.45 s more at 10M).
 */
export function index766Keyed(need: {
  touched_only: unknown;
  period_agencies: unknown;
  catalog: unknown;
}): boolean {
  const touchedOnly = Number(need.touched_only);
  return touchedOnly > 0 && Number(need.period_agencies) * 2 < touchedOnly * Number(need.catalog);
}

/** The period kinds the index is computed for (the portal publishes month, quarter and year). */
export const INDEX766_PERIOD_KINDS: readonly PeriodKind[] = ['month', 'quarter', 'year'];

/**
 * The counts a dossier or catalog component is shown with (numerator / denominator, over the columns of
 * index766ScopeInputsSql) and, where it differs, scored on. 1.4's denominator is the larger of our
 * received count and the national reporting system's (`sync_denominator`); 3.3 is scored on its ratio
 * times 1.4's; 5.4 leaves out the dossiers that were the subject of a petition.
 */
export const COUNTS: Record<string, { n: string; d: string; scoredN?: string; scoredD?: string }> = {
  'index766.transparency.synchronised': { n: 'received_synced', d: 'sync_denominator' },
  'index766.progress': { n: 'population_on_time', d: 'population' },
  'index766.online_service.procedures_online': { n: 'length(online_procs)', d: 'length(procs)' },
  'index766.online_service.services_used': {
    n: 'length(arrayIntersect(services, used_services))',
    d: 'length(services)',
  },
  'index766.online_service.online_dossiers': {
    n: 'received_online',
    d: 'received',
    scoredN: 'received_online * received_synced',
    scoredD: 'received * sync_denominator',
  },
  'index766.online_payment.dossiers_paid': { n: 'fee_dossiers_paid', d: 'fee_dossiers' },
  'index766.online_payment.procedures_with_fee': {
    n: 'length(arrayIntersect(fee_procs, fee_data_procs))',
    d: 'length(fee_procs)',
  },
  'index766.online_payment.procedures_paid': {
    n: 'length(arrayIntersect(fee_procs, paid_procs))',
    d: 'length(fee_procs)',
  },
  'index766.satisfaction.dossier_satisfaction': {
    n: 'greatest(population_satisfied - petitioned, 0)',
    d: 'population',
  },
  'index766.digitization.e_result': { n: 'population_e_result', d: 'population' },
  'index766.digitization.digitized_dossiers': { n: 'population_digitized', d: 'population' },
  'index766.digitization.reuse': { n: 'received_reused', d: 'received' },
  'index766.digitization.shared': { n: 'received_shared', d: 'received' },
  'index766.digitization.population_db_procedures': {
    n: 'length(arrayIntersect(citizen_procs, population_db_procs))',
    d: 'length(citizen_procs)',
  },
  'index766.digitization.population_db_dossiers': { n: 'population_db_dossiers', d: 'population' },
};

/** The loaded figure of an external component, as an index into `figures` (0: not loaded). */
const figureAt = (id: string) => `arrayFirstIndex(f -> f.1 = '${id}', figures)`;

function countsOf(c: Component): { n: string; d: string; scoredN: string; scoredD: string; has: string } {
  if (c.source === 'external') {
    const at = figureAt(c.id);
    const n = `if(${at} = 0, 0, figures[${at}].2)`;
    const d = `if(${at} = 0, 0, figures[${at}].3)`;
    return { n, d, scoredN: n, scoredD: d, has: `${at} > 0` };
  }
  const counts = COUNTS[c.id];
  if (!counts) throw new Error(`no counts for Decision 766 component ${c.id}`);
  return {
    n: counts.n,
    d: counts.d,
    scoredN: counts.scoredN ?? counts.n,
    scoredD: counts.scoredD ?? counts.d,
    has: c.source === 'catalog' ? 'catalog_size > 0' : '1',
  };
}

/**
 * New values of every Decision 766 component, group and total for the run's periods of `kinds`, for the
 * city and each unit with its sub-units (same columns as dossierValuesSql). A component's score follows
 * the portal (components.ts, score.sql.ts); one without data has a NULL score, the reason, and its points
 * leave its group's and the total's max_score. A group's score is the sum of its components' rounded
 * scores, the total the sum of the groups; their numerator / denominator are the score and the points
 * with data in hundredths (as score.ts scorecard writes them). `linked`: whether {live_links} is not empty
 * (index766ScopeInputsSql); the default reads a chain of either form. `keyed`: only the scopes
 * index766KeysSql keeps (the default), else every scope of the run's periods (index766Keyed).
 */
export function index766ValuesSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  linked = true,
  keyed = true,
  /** The inputs scored, rows of index766ScopeInputsSql's columns (default: that statement itself). */
  inputs?: string,
): string {
  const periods = runPeriodPairsSql(kinds, INDEX766_PURPOSES);
  const counts = COMPONENTS.map(countsOf);
  const list = (f: (x: (typeof counts)[number], i: number) => string) => `[${counts.map(f).join(', ')}]`;
  // One lambda scores every component: its rule's constants are arrays beside the counts, so each rounding
  // is written once instead of once per component (the statement took seconds to plan).
  const rules = COMPONENTS.map((c) => ruleArgsOf(c));
  const rule = ruleHundredthsSql(
    { points: 'r_p', fullAtNumerator: 'r_tn', fullAtDenominator: 'r_td', zero: 'r_z', exact: 'r_e' },
    'r_n',
    'r_d',
  );
  const column = (pick: (r: (typeof rules)[number]) => string) => `[${rules.map(pick).join(', ')}]`;
  const hundredths = `arrayMap((r_has, r_n, r_d, r_p, r_tn, r_td, r_z, r_e) -> if(r_has, ${rule}, NULL),
        has, scored_n, scored_d, ${column((r) => r.points)}, ${column((r) => r.fullAtNumerator)},
        ${column((r) => r.fullAtDenominator)}, ${column((r) => r.zero)}, ${column((r) => r.exact)})`;
  const reasons = COMPONENTS.map(
    (c, i) =>
      `multiIf(NOT has[${i + 1}], '${MISSING_REASON[c.source]}', h[${i + 1}] IS NULL, 'zero_denominator', '')`,
  );
  const groupRows = GROUPS.filter((g) => !COMPONENTS.some((c) => c.id === g.kpi));
  const of = (pick: (c: Component) => boolean, term: (i: number) => string) =>
    COMPONENTS.map((c, i) => (pick(c) ? term(i + 1) : null))
      .filter((t): t is string => t !== null)
      .join(' + ');
  const earned = (pick: (c: Component) => boolean) =>
    `toUInt64(${of(pick, (i) => `if(has[${i}], ifNull(h[${i}], 0), 0)`)})`;
  const available = (pick: (c: Component) => boolean) =>
    `toUInt64(${of(pick, (i) => `if(has[${i}], ${COMPONENTS[i - 1]!.points}, 0)`)})`;
  const ids = [...COMPONENTS.map((c) => c.id), ...groupRows.map((g) => g.kpi), TOTAL_KPI];
  const groupEarned = groupRows.map((g) => earned((c) => c.group === g.id));
  const groupPoints = groupRows.map((g) => available((c) => c.group === g.id));
  return `
SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
  score AS score_override, max_score AS max_score_override, reason, scope_rows
FROM
(
  SELECT *,
    arrayConcat(shown_n, [${groupEarned.join(', ')}], [total_earned]) AS numerators,
    arrayConcat(shown_d, [${groupPoints.map((p) => `${p} * 100`).join(', ')}], [total_points * 100]) AS denominators,
    arrayConcat(arrayMap(x -> CAST(x / 100 AS Nullable(Float64)), h),
      [${groupEarned.map((e) => `CAST(${e} / 100 AS Nullable(Float64))`).join(', ')}],
      [CAST(total_earned / 100 AS Nullable(Float64))]) AS scores,
    arrayConcat([${COMPONENTS.map((c) => c.points).join(', ')}], [${groupPoints.join(', ')}], [total_points]) AS max_scores,
    arrayConcat([${reasons.join(', ')}], [${groupRows.map(() => "''").join(', ')}], ['']) AS reasons
  FROM
  (
    SELECT *, ${earned(() => true)} AS total_earned, ${available(() => true)} AS total_points
    FROM
    (
      SELECT *, ${hundredths} AS h
      FROM
      (
        SELECT period_kind, period_start, scope_kind, scope_code,
          toUInt64(dossier_rows + length(procs) + length(figures)) AS scope_rows,
          ${list((x) => `toUInt64(${x.n})`)} AS shown_n,
          ${list((x) => `toUInt64(${x.d})`)} AS shown_d,
          ${list((x) => `toUInt64(${x.scoredN})`)} AS scored_n,
          ${list((x) => `toUInt64(${x.scoredD})`)} AS scored_d,
          ${list((x) => `toUInt8(${x.has})`)} AS has
        FROM
        (
          SELECT *, greatest(received, toInt64(if(${figureAt('national_reporting.received')} = 0, 0,
            figures[${figureAt('national_reporting.received')}].2))) AS sync_denominator
          FROM (${inputs ?? index766ScopeInputsSql(kinds, INDEX766_PURPOSES, periods, layout, keyed ? index766KeysSql(kinds, true) : '1', linked)})
          WHERE scope_kind IN {scope_kinds:Array(String)}
        )
      )
    )
  )
)
ARRAY JOIN ['${ids.join("', '")}'] AS kpi, numerators AS numerator, denominators AS denominator,
  scores AS score, arrayMap(x -> toFloat64(x), max_scores) AS max_score,
  reasons AS reason`;
}
