import type { PeriodKind } from '../periods.ts';
import { runPeriodPairsSql } from './run-periods.sql.ts';

/**
 * Wraps a KPI query (kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
 * score_override, max_score_override, reason, scope_rows) over the run's periods of `kinds` into an INSERT of only the rows that differ from kpi_current_v1 (what kpi_latest shows), so
 * repeating a run writes nothing and the history in kpi_values_v1 is a change log. A new key with no
 * source row behind it (scope_rows 0) is not written. A key kpi_current_v1 holds for these periods that the new
 * computation no longer produces (its dossiers moved elsewhere) is written back with zero counts.
 *
 * Value, target (first matching rule of the period's phase/year and scope; parameters from
 * targetRuleParams) and target_met are derived here once for every KPI; the KPIs listed in
 * {stated_score_kpis} take score, max_score and reason as their query states them (the Decision 766
 * components, groups and total: a zero denominator may score, a total's maximum counts the points with
 * data); the others have none.
 */
export function writeChangedValuesSql(
  kinds: readonly PeriodKind[],
  purposes: readonly string[],
  newRowsSql: string,
  /** The stored keys compared, as a condition on their columns (default: every key of the run's periods). */
  keys = `(period_kind, period_start) IN ${runPeriodPairsSql(kinds, purposes)}`,
): string {
  // Each layer computes columns the next one reads: an alias used in its own SELECT is inlined by
  // ClickHouse at every use, which made planning alone cost more than running the statement.
  return `
INSERT INTO kpi_values_v1 (kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
  value, target, target_met, score, max_score, reason, computed_at, run_id)
SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
  value, target, target_met, score, max_score, reason, {computed_at:DateTime64(3, 'UTC')}, {run_id:String}
FROM
(
  SELECT *,
    if(value IS NULL OR target IS NULL, NULL, toUInt8(if(strict = 1, value > target, value >= target))) AS target_met,
    if(kpi IN {stated_score_kpis:Array(String)}, n_score_override, NULL) AS score,
    -- New keys with dossiers behind them, and stored keys whose numbers, target or score moved. (A filter
    -- on these columns written in the outer WHERE took longer to plan than the statement takes to run.)
    (l_present = 0 AND n_rows > 0) OR (l_present = 1 AND (numerator != l_numerator OR denominator != l_denominator
      OR ifNull(target, -1) != ifNull(l_target, -1) OR ifNull(score, -1) != ifNull(l_score, -1)
      OR ifNull(max_score, -1) != ifNull(l_max_score, -1) OR reason != l_reason)) AS changed
  FROM
  (
    SELECT *,
      if(denominator = 0, NULL, numerator / denominator) AS value,
      if(target_index = 0, NULL, {t_value:Array(Float64)}[target_index]) AS target,
      if(target_index = 0, 0, {t_strict:Array(UInt8)}[target_index]) AS strict,
      if(kpi IN {stated_score_kpis:Array(String)}, n_max_score_override, NULL) AS max_score
    FROM
    (
      SELECT kpi, scope_kind, scope_code, period_kind, period_start,
        if(n_present = 1, n_numerator, 0) AS numerator,
        if(n_present = 1, n_denominator, 0) AS denominator,
        if(n_present = 1, n_reason, '') AS reason,
        arrayFirstIndex((k, f, t, sk, cp) -> k = kpi AND period_start >= f AND period_start <= t
            AND (sk = '' OR (sk = scope_kind AND startsWith(scope_code, cp))),
          {t_kpi:Array(String)}, {t_from:Array(Date)}, {t_to:Array(Date)}, {t_scope_kind:Array(String)},
          {t_code_prefix:Array(String)}) AS target_index,
        n_score_override, n_max_score_override, n_present, n_rows, l_present, l_numerator, l_denominator,
        l_target, l_score, l_max_score, l_reason
      FROM
      (
        SELECT toString(kpi) AS kpi, toString(scope_kind) AS scope_kind, toString(scope_code) AS scope_code,
          toString(period_kind) AS period_kind, period_start,
          numerator AS n_numerator, denominator AS n_denominator, score_override AS n_score_override,
          max_score_override AS n_max_score_override, reason AS n_reason, 1 AS n_present,
          scope_rows AS n_rows
        FROM (${newRowsSql})
      ) AS n
      FULL OUTER JOIN
      (
        SELECT toString(kpi) AS kpi, toString(scope_kind) AS scope_kind, scope_code, toString(period_kind) AS period_kind,
          period_start, numerator AS l_numerator, denominator AS l_denominator, target AS l_target, score AS l_score,
          max_score AS l_max_score, reason AS l_reason, 1 AS l_present
        FROM kpi_current_v1 FINAL
        WHERE kpi IN {kpi_ids:Array(String)} AND scope_kind IN {scope_kinds:Array(String)}
          AND ${keys}
      ) AS l
      USING (kpi, scope_kind, scope_code, period_kind, period_start)
    )
  )
)
WHERE changed`;
}

/** Stores a KPI values query's rows under {values_id} (see STAGED_VALUES_SQL). */
export function stageValuesSql(newRowsSql: string): string {
  return `
INSERT INTO kpi_stage_values_v1 (values_id, kpi, scope_kind, scope_code, period_kind, period_start, numerator,
  denominator, score_override, max_score_override, reason, scope_rows)
SELECT {values_id:String}, kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator,
  score_override, max_score_override, reason, scope_rows
FROM (${newRowsSql})`;
}

/** The staged values of {values_id}, as the new rows of writeChangedValuesSql. */
export const STAGED_VALUES_SQL = `
SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator, score_override,
  max_score_override, reason, scope_rows
FROM kpi_stage_values_v1 WHERE values_id = {values_id:String}`;
