import { type PeriodKind, SCOPE_KINDS, WATERMARK_NAME } from '@dossier/kpi';
import { z } from 'zod';

/** A query and its parameters; values never enter the SQL text. */
export interface BoundQuery {
  query: string;
  query_params: Record<string, unknown>;
}

export const Scope = z.object({
  kind: z.enum(SCOPE_KINDS).default('city'),
  /** Absent for the city: whatever code the aggregator gives the city scope, there is one city. */
  code: z.string().min(1).max(200).optional(),
});
export type Scope = z.output<typeof Scope>;

// ClickHouse returns UInt64 as a string in JSON; every numeric column is cast to Float64 in SQL
// so the API sees numbers whatever integer type the aggregator chose.
const KPI_COLUMNS = `kpi, scope_kind, scope_code, period_kind, toString(period_start) AS period,
  toFloat64(numerator) AS numerator, toFloat64(denominator) AS denominator,
  toNullable(toFloat64(value)) AS value, toNullable(toFloat64(target)) AS target,
  toNullable(toUInt8(target_met)) AS target_met,
  toNullable(toFloat64(score)) AS score, toNullable(toFloat64(max_score)) AS max_score,
  toString(computed_at) AS computed_at`;

/** The programme KPIs: the Decision 766 index's rows (index766.*) belong to its scorecard. */
const PROGRAMME = "NOT startsWith(kpi, 'index766.')";

function scopeFilter(scope: Scope, params: Record<string, unknown>): string {
  params.scopeKind = scope.kind;
  if (scope.code === undefined) return 'scope_kind = {scopeKind:String}';
  params.scopeCode = scope.code;
  return 'scope_kind = {scopeKind:String} AND scope_code = {scopeCode:String}';
}

/** The latest period of each KPI for one scope and period kind (one card per KPI). */
export function cardsQuery(scope: Scope, periodKind: PeriodKind): BoundQuery {
  const params: Record<string, unknown> = { periodKind };
  return {
    query: `SELECT ${KPI_COLUMNS} FROM kpi_latest
      WHERE ${scopeFilter(scope, params)} AND period_kind = {periodKind:String} AND ${PROGRAMME}
      ORDER BY kpi, period_start DESC, computed_at DESC
      LIMIT 1 BY kpi`,
    query_params: params,
  };
}

/** Monthly values of every KPI of one scope since `from` (inclusive), oldest first. */
export function trendQuery(scope: Scope, from: string): BoundQuery {
  const params: Record<string, unknown> = { from };
  return {
    query: `SELECT kpi, toString(period_start) AS period, toNullable(toFloat64(value)) AS value,
        toNullable(toFloat64(target)) AS target
      FROM kpi_latest
      WHERE ${scopeFilter(scope, params)} AND period_kind = 'month' AND period_start >= {from:Date} AND ${PROGRAMME}
      ORDER BY kpi, period_start, computed_at DESC
      LIMIT 1 BY kpi, period_start`,
    query_params: params,
  };
}

/**
 * Agencies ranked per KPI on each KPI's latest period, best first; agencies without a value (zero
 * denominator) last. Names and levels come from the agency catalog's newest version.
 */
export function rankingQuery(options: {
  periodKind: PeriodKind;
  adminLevel?: string;
  limit: number;
}): BoundQuery {
  const params: Record<string, unknown> = { periodKind: options.periodKind, limit: options.limit };
  const levelFilter = options.adminLevel === undefined ? '' : 'AND a.admin_level = {adminLevel:String}';
  if (options.adminLevel !== undefined) params.adminLevel = options.adminLevel;
  return {
    query: `WITH
        agencies AS (
          SELECT agency_code, argMax(name, (valid_from, version)) AS name,
            argMax(admin_level, (valid_from, version)) AS admin_level
          FROM agencies_v1 GROUP BY agency_code),
        latest AS (
          SELECT kpi, max(period_start) AS period_start FROM kpi_latest
          WHERE scope_kind = 'agency' AND period_kind = {periodKind:String} AND ${PROGRAMME} GROUP BY kpi)
      SELECT k.kpi AS kpi, k.scope_code AS agency_code, a.name AS agency_name, a.admin_level AS admin_level,
        toString(k.period_start) AS period, toFloat64(k.numerator) AS numerator,
        toFloat64(k.denominator) AS denominator, toNullable(toFloat64(k.value)) AS value,
        toNullable(toFloat64(k.target)) AS target, toNullable(toUInt8(k.target_met)) AS target_met
      FROM kpi_latest AS k
      INNER JOIN latest AS l ON l.kpi = k.kpi AND l.period_start = k.period_start
      LEFT JOIN agencies AS a ON a.agency_code = k.scope_code
      WHERE k.scope_kind = 'agency' AND k.period_kind = {periodKind:String} ${levelFilter}
      ORDER BY k.kpi, isNull(k.value), k.value DESC, k.denominator DESC, k.scope_code
      LIMIT {limit:UInt32} BY k.kpi`,
    query_params: params,
  };
}

/** Filter choices: the scopes that hold KPI values, named from the catalogs where they can be. */
export function filterScopesQuery(): BoundQuery {
  return {
    query: `WITH agencies AS (
          SELECT agency_code, argMax(name, (valid_from, version)) AS name,
            argMax(admin_level, (valid_from, version)) AS admin_level
          FROM agencies_v1 GROUP BY agency_code)
      SELECT s.scope_kind AS scope_kind, s.scope_code AS scope_code,
        if(s.scope_kind = 'agency', a.name, '') AS name,
        if(s.scope_kind = 'agency', a.admin_level, '') AS admin_level
      FROM (SELECT DISTINCT scope_kind, scope_code FROM kpi_latest
            WHERE scope_kind IN ('admin_level', 'agency', 'field')) AS s
      LEFT JOIN agencies AS a ON a.agency_code = s.scope_code
      ORDER BY scope_kind, scope_code`,
    query_params: {},
  };
}

/**
 * When the KPIs were last brought up to date, readable in every deployment mode (unlike the aggregator's
 * own gauge): the later of the newest stored value and the last committed run's watermark. A cycle writes
 * only the values that moved, so with no new input the values keep their time while the runs go on.
 */
export function aggregationAgeQuery(): BoundQuery {
  return {
    query: `SELECT toString(max(at)) AS last_computed_at,
        if(count() = 0, NULL, toFloat64(dateDiff('millisecond', max(at), now64(3))) / 1000) AS age_seconds
      FROM (
        SELECT max(computed_at) AS at FROM kpi_latest HAVING count() > 0
        UNION ALL
        SELECT updated_at AS at FROM kpi_watermarks_v1 FINAL WHERE name = {watermark:String}
      )`,
    query_params: { watermark: WATERMARK_NAME },
  };
}

/**
 * Rows stored and messages dead-lettered per minute of ingestion over the last `minutes`, and in the
 * last 60 s: the ingest rate as ClickHouse saw it, whichever processes wrote. kpi_touched_v1 holds one
 * row per event row inserted, keyed by ingestion time, so this reads a key range, not the events.
 */
export function ingestRateQuery(minutes: number): BoundQuery {
  return {
    query: `SELECT outcome, minute, toUInt64(count()) AS rows, toUInt64(countIf(at >= now64(3) - toIntervalSecond(60))) AS last_minute
      FROM (
        SELECT 'accepted' AS outcome, ingested_at AS at, toUnixTimestamp(toStartOfMinute(ingested_at)) AS minute
        FROM kpi_touched_v1 WHERE ingested_at >= now64(3) - toIntervalMinute({minutes:UInt32})
        UNION ALL
        SELECT 'rejected', rejected_at, toUnixTimestamp(toStartOfMinute(rejected_at))
        FROM dead_letters_v2 WHERE rejected_at >= now64(3) - toIntervalMinute({minutes:UInt32})
      )
      GROUP BY outcome, minute
      ORDER BY minute, outcome`,
    query_params: { minutes },
  };
}
