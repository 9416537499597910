-- The latest computation per kpi x scope x period (the KPI contract of DESIGN.md). Ties on computed_at
-- (two instances in the same millisecond) hold identical numbers, so run_id only makes the pick stable.
CREATE VIEW IF NOT EXISTS kpi_latest AS
SELECT
    v.kpi AS kpi,
    v.scope_kind AS scope_kind,
    v.scope_code AS scope_code,
    v.period_kind AS period_kind,
    v.period_start AS period_start,
    argMax(v.numerator, (v.computed_at, v.run_id)) AS numerator,
    argMax(v.denominator, (v.computed_at, v.run_id)) AS denominator,
    argMax(v.value, (v.computed_at, v.run_id)) AS value,
    argMax(v.target, (v.computed_at, v.run_id)) AS target,
    argMax(v.target_met, (v.computed_at, v.run_id)) AS target_met,
    argMax(v.score, (v.computed_at, v.run_id)) AS score,
    argMax(v.max_score, (v.computed_at, v.run_id)) AS max_score,
    max(v.computed_at) AS computed_at
FROM kpi_values_v1 AS v
GROUP BY v.kpi, v.scope_kind, v.scope_code, v.period_kind, v.period_start
