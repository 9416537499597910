import { chainOfSql, rollupScopesSql, UNITS_WITH, unitsAtLevelsSql } from '../index766/units.ts';
import { PERIOD_SQL, type PeriodKind, TIME_ZONE } from '../periods.ts';
import type { CellLayout } from './cells.sql.ts';
import { LIVE_ROWS, liveCellsOfRunSql } from './cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from './counters.sql.ts';
import { catalogOnDaysSql } from './procedure-kpis.sql.ts';
import { runPeriodPairsSql } from './run-periods.sql.ts';

/**
 * What the Decision 766 index reads per (period, scope), for the city and every unit with its sub-units
 * at any depth (index766/units.ts): four sources, each as rows of the same columns, summed per scope by
 * index766ScopeInputsSql, whose WITH names the agency chains once for all of them (UNITS_WITH).
 * - counts: the settled cells' Decision 766 counters (kpi_scope_cells_v1), an agency's counts added to
 *   every agency of its chain;
 * - dossiers per unit and procedure: whether it had a non-zero fee, an online payment, a dossier received
 *   online or one using the population database (kpi_scope_procedures_v1 plus the live cells), with the
 *   live cells' counters: the run's live chain is read once, for both;
 * - catalog: the procedures applied at each unit as the catalog stood at the period's end, with their
 *   online services (unit|procedure) and attributes, as sets per scope computed once per catalog the
 *   periods end with (a new day's month, quarter and year share today's; settled months whose catalog did
 *   not change between their ends share one);
 * - external: the published figures loaded for the scope and period (used as they are, no rollup).
 */

/** Counters summed per scope, named for what they count (`population_on_time` …). */
export const INDEX766_SUMS = [
  ...INDEX766_COUNTERS.map((c) => c.key.replace('index766:', '')),
  'dossier_rows',
  'petitioned',
] as const;

/** Sets of procedure codes (or `unit|procedure` services) per scope. */
export const INDEX766_SETS = [
  'fee_data_procs',
  'paid_procs',
  'population_db_procs',
  'used_services',
  'procs',
  'online_procs',
  'services',
  'fee_procs',
  'citizen_procs',
] as const;

type Columns = Partial<
  Record<(typeof INDEX766_SUMS)[number] | (typeof INDEX766_SETS)[number] | 'figures', string>
>;

const FIGURES_TYPE = 'Array(Tuple(String, UInt64, UInt64))';

/** One source's SELECT list: the scope key, then every column, from `given` or its empty value. */
function sourceColumns(given: Columns): string {
  const sums = INDEX766_SUMS.map((c) => `toInt64(${given[c] ?? '0'}) AS ${c}`);
  const sets = INDEX766_SETS.map((c) => `CAST(${given[c] ?? '[]'} AS Array(String)) AS ${c}`);
  return [...sums, ...sets, `CAST(${given.figures ?? '[]'} AS ${FIGURES_TYPE}) AS figures`].join(',\n    ');
}

const SERVICE_STATUSES = "('published', 'trial', 'pending_withdrawal')";

/**
 * The run's live cells as dossierSource reads them, SELECTs of its columns (`zeros`: its counters as 0).
 * When the chain is its base alone, the rows as they are: written whole, one row per cell, none of them
 * zero (stageLiveCellsSql counts at least one open dossier per cell, stageLiveFromCrossedSql drops the
 * zero ones). When the chain links crossed rows to its base, a cell's rows sum to its counts (each a count
 * of dossiers, never below zero), but a row alone may be negative: the procedure counters are summed per
 * (unit, procedure), so a procedure is in a set when its sum is positive, exactly when one of its cells
 * counts it; the counters only per unit, where they are summed anyway. A unit whose cells all cancel out
 * must add no row to its scopes, as one whose rows were never staged: its sum over every counter is 0
 * exactly then (its cells' sums are never below zero), and its per-procedure rows have no counter above 0.
 * Not grouped per cell (period, admin level, agency, field, procedure) with every counter of the layout:
 * at 1M the late data's 147,000 live rows of 144,000 cells took 0.22–0.29 CPU-s so, 0.15–0.17 these two ways.
 */
function liveDossierRows(layout: CellLayout, periods: string, linked: boolean, zeros: string): string {
  const counters = dossierCounters(layout);
  const procedures = PROCEDURE_COUNTERS.map((c) => ({ name: c.column, column: layout.at(c.key) }));
  const keys = 'toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency_code';
  if (!linked) {
    const columns = [...counters, ...procedures].map((c) => `${c.column} AS ${c.name}`).join(', ');
    return `SELECT ${keys}, toString(procedure_code) AS procedure_code, ${columns}
      FROM ${liveCellsOfRunSql(periods)}`;
  }
  const rows = `kpi_stage_cells_v1 WHERE ${LIVE_ROWS} AND (period_kind, period_start) IN ${periods}`;
  const sums = (list: { name: string; column: string }[]) => list.map((c) => `sum(${c.column}) AS ${c.name}`);
  const procedureZeros = procedures.map((c) => `toInt64(0) AS ${c.name}`).join(', ');
  return `SELECT ${keys}, toString(procedure_code) AS procedure_code, ${zeros}, ${sums(procedures).join(', ')}
      FROM ${rows}
      GROUP BY period_kind, period_start, agency_code, procedure_code
      HAVING ${procedures.map((c) => `${c.name} != 0`).join(' OR ')}
      UNION ALL
      SELECT ${keys}, '' AS procedure_code, ${sums(counters).join(', ')}, ${procedureZeros}
      FROM ${rows}
      GROUP BY period_kind, period_start, agency_code
      HAVING sum(${layout.columns.join(' + ')}) != 0`;
}

/** The cells' Decision 766 counters (and `_rows`), as the sums they are named for. */
function dossierCounters(layout: CellLayout): { name: string; column: string }[] {
  return [
    ...INDEX766_COUNTERS.map((c) => ({ name: c.key.replace('index766:', ''), column: layout.at(c.key) })),
    { name: 'dossier_rows', column: layout.at('_rows') },
  ];
}

/**
 * The counts of the settled cells: kpi_scope_cells_v1's city and agency rows, an agency's counts added to
 * every agency of its chain. The live cells' counts come with their procedures (dossierSource).
 */
export function countsSource(layout: CellLayout, periods: string): string {
  const counters = dossierCounters(layout);
  return `
  SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
    ${sourceColumns(Object.fromEntries(counters.map((c) => [c.name, c.column])))}
  FROM
  (
    SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS kind, scope_code AS code,
      ${counters.map((c) => c.column).join(', ')}
    FROM kpi_scope_cells_v1
    WHERE (period_kind, period_start) IN ${periods} AND scope_kind IN ('city', 'agency')
  )
  ARRAY JOIN if(kind = 'city', [('city', '')], arrayMap(c -> ('agency', c), ${chainOfSql('code', true)})) AS sc`;
}

/**
 * Per unit and procedure, whether it had a non-zero fee, an online payment, a dossier received online or
 * one using the population database (kpi_scope_procedures_v1 plus the live cells), and the live cells'
 * counts, added to the city and every agency of the unit's chain: the live chain is read once for both.
 * Each unit's procedures are gathered into its sets before the rollup: one row per unit and period
 * reaches the scopes' grouping instead of one per unit, procedure and period. A procedure is in a unit's
 * set when one of its rows counts it: kpi_scope_procedures_v1 is read FINAL (its signed rows summed per
 * key, as merges would) and the live cells per cell, so every row is a count of dossiers, never below
 * zero, and their sum is positive exactly when one of them is. No grouping per (unit, procedure), which
 * hashed every unit's procedures of every period (at 10M the late data's ~25 periods, ~1.1M rows).
 */
export function dossierSource(layout: CellLayout, periods: string, linked = true): string {
  const counters = dossierCounters(layout);
  const procedures = PROCEDURE_COUNTERS.map((c) => c.column);
  const zeros = counters.map((c) => `toInt64(0) AS ${c.name}`).join(', ');
  const unitSums = counters.map((c) => `sum(${c.name}) AS ${c.name}`).join(', ');
  const set = (column: string, element = 'procedure_code') => {
    if (!procedures.includes(column)) throw new Error(`no procedure counter ${column}`);
    return `groupUniqArrayIf(${element}, ${column} > 0)`;
  };
  return `
  SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
    ${sourceColumns({
      ...Object.fromEntries(counters.map((c) => [c.name, c.name])),
      fee_data_procs: 'fee_data_procs',
      paid_procs: 'paid_procs',
      population_db_procs: 'population_db_procs',
      used_services: 'used_services',
    })}
  FROM
  (
    SELECT period_kind, period_start, agency_code, ${unitSums},
      ${set('fee_data')} AS fee_data_procs, ${set('paid_online')} AS paid_procs,
      ${set('population_db')} AS population_db_procs,
      ${set('online_received', "concat(agency_code, '|', procedure_code)")} AS used_services
    FROM
    (
      SELECT toString(period_kind) AS period_kind, period_start, scope_code AS agency_code,
        toString(procedure_code) AS procedure_code, ${zeros}, ${procedures.join(', ')}
      FROM kpi_scope_procedures_v1 FINAL WHERE (period_kind, period_start) IN ${periods} AND scope_kind = 'agency'
      UNION ALL
      ${liveDossierRows(layout, periods, linked, zeros)}
    )
    GROUP BY period_kind, period_start, agency_code
  )
  ARRAY JOIN ${rollupScopesSql('agency_code', true)} AS sc`;
}

/**
 * The units a catalog procedure is applied at, as (unit, online service status) pairs: its explicit units,
 * else its agency and every unit of its commune/district levels, else none (''), which still counts for
 * the city.
 */
const UNITS_OF_PROCEDURE = `if(notEmpty(applied_units),
    arrayMap((u, i) -> (u, unit_service_status[i]), applied_units, arrayEnumerate(applied_units)),
    arrayMap(u -> (u, if(online_class IN ('partial', 'full'), 'published', 'none')),
      if(empty(fallback_units), [''], fallback_units)))`;

/** The sets only catalogSource gives. */
const CATALOG_SETS: readonly string[] = ['procs', 'online_procs', 'services', 'fee_procs', 'citizen_procs'];

/**
 * The catalog's sets per (period, scope): grouped per day the run's periods of `kinds` end on (today for
 * the running ones) and scope, then given to each period ending that day. One row per (period, scope),
 * each set without repeats: index766ScopeInputsSql concatenates them as they are. Days with the same
 * catalog share one grouping, the first such day's: a day's catalog is the procedure rows valid from it
 * on and not ended by it (catalogOnDaysSql), and each of those two sets only grows with the day, so two
 * days with as many rows in each read the same rows (late data reaching 25 settled periods groups the
 * catalog once, not once per period end, when it did not change between them).
 */
export function catalogSource(kinds: readonly PeriodKind[], purposes: readonly string[]): string {
  const end = (kind: PeriodKind) => `${PERIOD_SQL[kind].add}(period_start, 1)`;
  const last = kinds[kinds.length - 1]!;
  const periodEnd =
    kinds.length === 1
      ? end(last)
      : `multiIf(${kinds
          .slice(0, -1)
          .map((k) => `period_kind = '${k}', ${end(k)}`)
          .join(', ')}, ${end(last)})`;
  const periods = `(SELECT DISTINCT toString(period_kind) AS period_kind, period_start,
      least(subtractDays(${periodEnd}, 1), toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')) AS snapshot_day
    FROM ${runPeriodPairsSql(kinds, purposes)})`;
  // Each period with the first of the run's days whose catalog is its end day's.
  const catalogDays = `(
    SELECT period_kind, period_start,
      min(snapshot_day) OVER (PARTITION BY valid_from_rows, valid_to_rows) AS catalog_day
    FROM
    (
      SELECT r.period_kind AS period_kind, r.period_start AS period_start, r.snapshot_day AS snapshot_day,
        countIf(pr.valid_from <= r.snapshot_day) AS valid_from_rows,
        countIf(pr.valid_to <= r.snapshot_day) AS valid_to_rows
      FROM (SELECT valid_from, valid_to FROM procedures_v1 FINAL) AS pr CROSS JOIN ${periods} AS r
      GROUP BY period_kind, period_start, snapshot_day
    ))`;
  const set = (expression: string) => `groupUniqArrayArray(${expression})`;
  return `
  SELECT p.period_kind AS period_kind, p.period_start AS period_start, c.scope_kind AS scope_kind,
    c.scope_code AS scope_code,
    ${sourceColumns({
      procs: 'c.procs',
      online_procs: 'c.online_procs',
      services: 'c.services',
      fee_procs: 'c.fee_procs',
      citizen_procs: 'c.citizen_procs',
    })}
  FROM
  (
    SELECT snapshot_day, sc.1 AS scope_kind, sc.2 AS scope_code, ${set('[procedure_code]')} AS procs,
      ${set("if(online_class IN ('partial', 'full'), [procedure_code], [])")} AS online_procs,
      ${set(`if(us.2 IN ${SERVICE_STATUSES}, [concat(us.1, '|', procedure_code)], [])`)} AS services,
      ${set('if(fee_bearing = 1, [procedure_code], [])')} AS fee_procs,
      ${set("if(has(serves, 'citizen'), [procedure_code], [])")} AS citizen_procs
    FROM
    (
      SELECT *, arrayConcat(if(ifNull(agency_code, '') != '', [agency_code], []),
        ${unitsAtLevelsSql((l) => `${l} IN ('commune', 'district') AND has(admin_levels, ${l})`, true)}) AS fallback_units
      FROM (${catalogOnDaysSql(`(SELECT DISTINCT catalog_day AS snapshot_day FROM ${catalogDays})`)})
    )
    ARRAY JOIN ${UNITS_OF_PROCEDURE} AS us
    ARRAY JOIN ${rollupScopesSql('us.1', true)} AS sc
    GROUP BY snapshot_day, scope_kind, scope_code
  ) AS c
  INNER JOIN ${catalogDays} AS p ON p.catalog_day = c.snapshot_day`;
}

export function externalSource(periods: string): string {
  return `
  SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
    ${sourceColumns({
      petitioned: "countIf(figure = 'petitions.dossier' AND numerator > 0)",
      figures: "groupArrayIf((toString(figure), numerator, denominator), figure != 'petitions.dossier')",
    })}
  FROM index766_external_latest_v1
  WHERE (period_kind, period_start) IN ${periods}
  GROUP BY period_kind, period_start, scope_kind, scope_code`;
}

/**
 * Every source summed per (period_kind, period_start, scope_kind, scope_code) of the run's periods of
 * `kinds` (`periods`: their pairs) that satisfy `keys`, with `catalog_size`: the procedures of the
 * period's catalog (0: no catalog data). `keys` must keep the city of every period it keeps a unit of:
 * the city's catalog set holds every procedure, so catalog_size, the largest set of the period, is its.
 * Filtering before the window (which no predicate crosses) lets the engine drop the other units' rows
 * before they are summed, instead of summing every unit to keep a few. `linked`: whether the run's live
 * cells are a chain with links ({live_links} not empty; liveCells), the default, which is right for both.
 */
export function index766ScopeInputsSql(
  kinds: readonly PeriodKind[],
  purposes: readonly string[],
  periods: string,
  layout: CellLayout,
  keys = '1',
  linked = true,
): string {
  const sums = INDEX766_SUMS.map((c) => `sum(${c}) AS ${c}`);
  // The catalog's sets come from one row per (period, scope), each already a set (catalogSource): they are
  // concatenated, not hashed again; the dossiers' sets gather rows of several units and procedures.
  const sets = INDEX766_SETS.map(
    (c) => `${CATALOG_SETS.includes(c) ? 'groupArrayArray' : 'groupUniqArrayArray'}(${c}) AS ${c}`,
  );
  return `
WITH ${UNITS_WITH}
SELECT *, max(length(procs)) OVER (PARTITION BY period_kind, period_start) AS catalog_size
FROM
(
  SELECT period_kind, period_start, scope_kind, scope_code, ${[...sums, ...sets].join(', ')},
    groupArrayArray(figures) AS figures
  FROM
  (${countsSource(layout, periods)}
  UNION ALL${dossierSource(layout, periods, linked)}
  UNION ALL${catalogSource(kinds, purposes)}
  UNION ALL${externalSource(periods)}
  )
  GROUP BY period_kind, period_start, scope_kind, scope_code
)
WHERE ${keys}`;
}
