import { chainOfSql, rollupScopesSql, unitsAtLevelsSql } from '../index766/units.ts';
import type { PeriodKind } from '../periods.ts';
import type { CellLayout } from './cells.sql.ts';
import { liveCellsOfRunSql } from './cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from './counters.sql.ts';
import { catalogOnDaysSql, snapshotDaySql } from './procedure-kpis.sql.ts';

/**
 * What the Decision 766 index reads per (period, scope), for the city and every unit with its sub-units
 * at any depth (index766/units.ts): four sources; counts, procedure sets and external figures as rows of
 * the same columns, summed per scope by index766ScopeInputsSql, which joins the catalog's sets to them.
 * - counts: the cells' Decision 766 counters (kpi_scope_cells_v1 plus the run's live cells), an agency's
 *   counts added to every agency of its chain;
 * - procedure sets: per unit and procedure, whether it had a non-zero fee, an online payment, a dossier
 *   received online or one using the population database (kpi_scope_procedures_v1 plus live cells);
 * - catalog: the procedures applied at each unit as the catalog stood at the period's end, with their
 *   online services (unit|procedure) and attributes, computed once per snapshot day (catalogSource);
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

export function countsSource(layout: CellLayout, periods: string): string {
  const counters: Columns = Object.fromEntries(
    INDEX766_COUNTERS.map((c) => [c.key.replace('index766:', ''), `sum(${layout.at(c.key)})`]),
  );
  counters.dossier_rows = `sum(${layout.at('_rows')})`;
  const columns = [...INDEX766_COUNTERS.map((c) => c.key), '_rows'].map((k) => layout.at(k)).join(', ');
  return `
  SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
    ${sourceColumns(counters)}
  FROM
  (
    SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS kind, scope_code AS code, ${columns}
    FROM kpi_scope_cells_v1
    WHERE (period_kind, period_start) IN ${periods} AND scope_kind IN ('city', 'agency')
    UNION ALL
    SELECT toString(period_kind) AS period_kind, period_start, own.1 AS kind, own.2 AS code, ${columns}
    FROM ${liveCellsOfRunSql(periods)}
    ARRAY JOIN arrayFilter(s -> s.2 != '' OR s.1 = 'city', [('city', ''), ('agency', toString(agency_code))]) AS own
  )
  ARRAY JOIN if(kind = 'city', [('city', '')], arrayMap(c -> ('agency', c), ${chainOfSql('code')})) AS sc
  GROUP BY period_kind, period_start, scope_kind, scope_code`;
}

export function procedureSetsSource(layout: CellLayout, periods: string): string {
  const col = (column: string) => PROCEDURE_COUNTERS.find((c) => c.column === column)!;
  const columns = PROCEDURE_COUNTERS.map((c) => c.column).join(', ');
  const fromCells = PROCEDURE_COUNTERS.map((c) => `${layout.at(c.key)} AS ${c.column}`).join(', ');
  const sums = PROCEDURE_COUNTERS.map((c) => `sum(${c.column}) AS ${c.column}`).join(', ');
  const set = (column: string) => `groupArrayIf(procedure_code, ${col(column).column} > 0)`;
  // Each unit's sets are gathered before they roll up to the city and the unit's chain: one row per unit
  // goes up the chain, not one per unit and procedure.
  return `
  SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
    ${sourceColumns(Object.fromEntries(PROCEDURE_SETS.map((c) => [c, c])))}
  FROM
  (
    SELECT period_kind, period_start, agency_code,
      ${set('fee_data')} AS fee_data_procs,
      ${set('paid_online')} AS paid_procs,
      ${set('population_db')} AS population_db_procs,
      groupArrayIf(concat(agency_code, '|', procedure_code), online_received > 0) AS used_services
    FROM
    (
      SELECT period_kind, period_start, agency_code, procedure_code, ${sums}
      FROM
      (
        SELECT toString(period_kind) AS period_kind, period_start, scope_code AS agency_code,
          toString(procedure_code) AS procedure_code, ${columns}
        FROM kpi_scope_procedures_v1 WHERE (period_kind, period_start) IN ${periods} AND scope_kind = 'agency'
        UNION ALL
        SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency_code,
          toString(procedure_code) AS procedure_code, ${fromCells}
        FROM ${liveCellsOfRunSql(periods)}
      )
      GROUP BY period_kind, period_start, agency_code, procedure_code
    )
    GROUP BY period_kind, period_start, agency_code
  )
  ARRAY JOIN ${rollupScopesSql('agency_code')} AS sc`;
}

/** The sets procedureSetsSource fills. */
const PROCEDURE_SETS = ['fee_data_procs', 'paid_procs', 'population_db_procs', 'used_services'] as const;

/**
 * The units a catalog procedure is applied at, as (unit, online service status) pairs: its explicit units,
 * else its agency and every unit of its commune/district levels, else none (''), which still counts for
 * the city.
 */
const UNITS_OF_PROCEDURE = `if(notEmpty(applied_units),
    arrayMap((u, i) -> (u, unit_service_status[i]), applied_units, arrayEnumerate(applied_units)),
    arrayMap(u -> (u, if(online_class IN ('partial', 'full'), 'published', 'none')),
      if(empty(fallback_units), [''], fallback_units)))`;

/** The catalog's sets, filled by catalogSource only; the other sources fill the rest. */
const CATALOG_SETS = ['procs', 'online_procs', 'services', 'fee_procs', 'citizen_procs'] as const;
const DOSSIER_SETS = INDEX766_SETS.filter((c) => !(CATALOG_SETS as readonly string[]).includes(c));

/**
 * The catalog's sets per (period, scope) of the run's periods of `kinds` (`periods`: their pairs), each
 * set as `catalog_<set>`. A period's catalog is the one that stood on its snapshot day (its last day, or
 * today while it runs); the sets are computed once per snapshot day and shared by the periods taking it:
 * the running month, quarter and year take one snapshot, not three.
 */
export function catalogSource(kinds: readonly PeriodKind[], periods: string): string {
  const day = `multiIf(${kinds.map((k) => `period_kind = '${k}', ${snapshotDaySql(k, 'period_start')}`).join(', ')}, toDate('1970-01-01'))`;
  const runPeriods = `(SELECT DISTINCT toString(period_kind) AS period_kind, period_start, ${day} AS snapshot_day FROM ${periods})`;
  const sets: Columns = {
    procs: '[procedure_code]',
    online_procs: "if(online_class IN ('partial', 'full'), [procedure_code], [])",
    services: `if(us.2 IN ${SERVICE_STATUSES}, [concat(us.1, '|', procedure_code)], [])`,
    fee_procs: 'if(fee_bearing = 1, [procedure_code], [])',
    citizen_procs: "if(has(serves, 'citizen'), [procedure_code], [])",
  };
  return `
  SELECT p.period_kind AS period_kind, p.period_start AS period_start, c.scope_kind AS scope_kind,
    c.scope_code AS scope_code, ${CATALOG_SETS.map((c) => `c.catalog_${c} AS catalog_${c}`).join(', ')}
  FROM ${runPeriods} AS p
  INNER JOIN
  (
    SELECT snapshot_day, sc.1 AS scope_kind, sc.2 AS scope_code,
      ${CATALOG_SETS.map((c) => `groupUniqArrayArray(${c}) AS catalog_${c}`).join(', ')}
    FROM
    (
      SELECT snapshot_day, us.1 AS unit,
        ${CATALOG_SETS.map((c) => `groupArrayArray(CAST(${sets[c]} AS Array(String))) AS ${c}`).join(',\n        ')}
      FROM
      (
        SELECT *, arrayConcat(if(ifNull(agency_code, '') != '', [agency_code], []),
          ${unitsAtLevelsSql((l) => `${l} IN ('commune', 'district') AND has(admin_levels, ${l})`)}) AS fallback_units
        FROM (${catalogOnDaysSql(`(SELECT DISTINCT snapshot_day FROM ${runPeriods})`)})
      )
      ARRAY JOIN ${UNITS_OF_PROCEDURE} AS us
      GROUP BY snapshot_day, unit
    )
    ARRAY JOIN ${rollupScopesSql('unit')} AS sc
    GROUP BY snapshot_day, scope_kind, scope_code
  ) AS c ON c.snapshot_day = p.snapshot_day`;
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
 * `kinds` (`periods`: their pairs), with `catalog_size`: the procedures of the period's catalog (0: no
 * catalog data). The catalog's sets join the others' sums per scope: a scope with catalog rows only, or
 * dossier rows only, has the other side's empty values (0, []).
 */
export function index766ScopeInputsSql(
  kinds: readonly PeriodKind[],
  periods: string,
  layout: CellLayout,
): string {
  const sums = INDEX766_SUMS.map((c) => `sum(${c}) AS ${c}`);
  const sets = DOSSIER_SETS.map((c) => `groupUniqArrayArray(${c}) AS ${c}`);
  const keys = ['period_kind', 'period_start', 'scope_kind', 'scope_code'];
  return `
SELECT *, max(length(procs)) OVER (PARTITION BY period_kind, period_start) AS catalog_size
FROM
(
  SELECT ${keys.join(', ')}, ${[...INDEX766_SUMS, ...DOSSIER_SETS, 'figures'].join(', ')},
    ${CATALOG_SETS.map((c) => `catalog_${c} AS ${c}`).join(', ')}
  FROM
  (
    SELECT ${keys.join(', ')}, ${[...sums, ...sets].join(', ')}, groupArrayArray(figures) AS figures
    FROM
    (${countsSource(layout, periods)}
    UNION ALL${procedureSetsSource(layout, periods)}
    UNION ALL${externalSource(periods)}
    )
    GROUP BY ${keys.join(', ')}
  ) AS d
  FULL OUTER JOIN (${catalogSource(kinds, periods)}) AS c USING (${keys.join(', ')})
  SETTINGS join_use_nulls = 0
)`;
}
