-- kpi_current_mv_v1 (0012) with the reason column (0075, 0076).
ALTER TABLE kpi_current_mv_v1 MODIFY QUERY
SELECT
    v.kpi AS kpi,
    v.scope_kind AS scope_kind,
    v.scope_code AS scope_code,
    v.period_kind AS period_kind,
    v.period_start AS period_start,
    v.numerator AS numerator,
    v.denominator AS denominator,
    v.value AS value,
    v.target AS target,
    v.target_met AS target_met,
    v.score AS score,
    v.max_score AS max_score,
    v.reason AS reason,
    v.computed_at AS computed_at,
    v.run_id AS run_id
FROM kpi_values_v1 AS v
