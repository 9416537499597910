import { type KpiDefinition, kpiSql } from '../kpi-definition.ts';
import { PERIOD_SQL, type PeriodKind, TIME_ZONE } from '../periods.ts';
import { runPeriodsSourceSql } from './run-periods.sql.ts';

const PROCEDURE_PURPOSES = ['procedure', 'all'] as const;

/** A catalog row's version (argMax by valid_from picks the latest), and its columns as the snapshots give them. */
const CATALOG_VERSION = `argMax((toString(pr.field_code), coalesce(pr.agency_code, ''), arrayMap(l -> toString(l), pr.admin_levels),
      pr.online_eligible, toString(pr.online_class), pr.fee_bearing, pr.online_payment, pr.dvcqg_integrated,
      pr.valid_to, arrayMap(x -> toString(x), pr.serves), pr.applied_units,
      arrayMap(x -> toString(x), pr.unit_service_status)), pr.valid_from)`;
const CATALOG_COLUMNS = `v.1 AS field_code, v.2 AS agency_code, v.3 AS admin_levels,
  v.4 AS online_eligible, v.5 AS online_class, v.6 AS fee_bearing, v.7 AS online_payment,
  v.8 AS dvcqg_integrated, v.9 AS valid_to, v.10 AS serves, v.11 AS applied_units, v.12 AS unit_service_status`;

/**
 * The procedure catalog as it stood at each of the run's periods' end (for the current period: today),
 * one row per (period, procedure): the version with the latest valid_from on or before that day, kept
 * only while its valid_to (exclusive) lies after it.
 */
export function catalogSnapshotSql(kind: PeriodKind, purposes: readonly string[]): string {
  const snapshotDay = `least(subtractDays(${PERIOD_SQL[kind].add}(r.period_start, 1), 1), toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}'))`;
  return `
SELECT period_start, procedure_code, ${CATALOG_COLUMNS},
  snapshot_day
FROM
(
  SELECT r.period_start AS period_start, ${snapshotDay} AS snapshot_day, pr.procedure_code AS procedure_code,
    ${CATALOG_VERSION} AS v
  FROM (SELECT * FROM procedures_v1 FINAL) AS pr
  CROSS JOIN (SELECT DISTINCT period_start FROM ${runPeriodsSourceSql(kind, purposes)}) AS r
  WHERE pr.valid_from <= snapshot_day
  GROUP BY period_start, snapshot_day, procedure_code
)
WHERE valid_to IS NULL OR valid_to > snapshot_day`;
}

/**
 * catalogSnapshotSql once per day of `days` (a subquery of distinct `snapshot_day` Dates) instead of per
 * period: one row per (snapshot_day, procedure).
 */
export function catalogOnDaysSql(days: string): string {
  return `
SELECT snapshot_day, procedure_code, ${CATALOG_COLUMNS}
FROM
(
  SELECT r.snapshot_day AS snapshot_day, pr.procedure_code AS procedure_code, ${CATALOG_VERSION} AS v
  FROM (SELECT * FROM procedures_v1 FINAL) AS pr
  CROSS JOIN ${days} AS r
  WHERE pr.valid_from <= r.snapshot_day
  GROUP BY snapshot_day, procedure_code
)
WHERE valid_to IS NULL OR valid_to > snapshot_day`;
}

const PROCEDURE_SCOPES = `arrayConcat([('city', ''), ('field', field_code), ('procedure', procedure_code)],
  arrayFilter(s -> s.2 != '', [('agency', agency_code)]), arrayMap(l -> ('admin_level', l), admin_levels))`;

/**
 * New values of the procedure KPIs for the run's periods of `kinds` (same columns as dossierValuesSql), in
 * one statement: a new day moves every kind's current period, and each statement costs its planning and
 * its read of the stored values.
 */
export function procedureKpisSql(kinds: readonly PeriodKind[], kpis: readonly KpiDefinition[]): string {
  return kinds.map((kind) => procedureKindSql(kind, kpis)).join('\nUNION ALL\n');
}

function procedureKindSql(kind: PeriodKind, kpis: readonly KpiDefinition[]): string {
  const nums = kpis.map((k) => `toUInt64(${kpiSql(k).numerator})`).join(', ');
  const dens = kpis.map((k) => `toUInt64(${kpiSql(k).denominator})`).join(', ');
  return `
SELECT kpi, scope_kind, scope_code, '${kind}' AS period_kind, period_start, numerator, denominator,
  CAST(NULL AS Nullable(Float64)) AS score_override, CAST(NULL AS Nullable(Float64)) AS max_score_override,
  '' AS reason, toUInt64(1) AS scope_rows
FROM
(
  SELECT period_start, sc.1 AS scope_kind, sc.2 AS scope_code, [${nums}] AS nums, [${dens}] AS dens
  FROM (${catalogSnapshotSql(kind, PROCEDURE_PURPOSES)})
  ARRAY JOIN ${PROCEDURE_SCOPES} AS sc
  WHERE sc.1 IN {scope_kinds:Array(String)}
  GROUP BY period_start, scope_kind, scope_code
)
ARRAY JOIN {kpi_ids:Array(String)} AS kpi, nums AS numerator, dens AS denominator`;
}

export { PROCEDURE_PURPOSES };
