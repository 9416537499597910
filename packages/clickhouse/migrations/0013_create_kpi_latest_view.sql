-- The latest computation per kpi x scope x period (the KPI contract of DESIGN.md); the full history of
-- changes stays in kpi_values_v1. Ties on computed_at (two instances in the same millisecond) hold the
-- same numbers.
CREATE VIEW IF NOT EXISTS kpi_latest AS
SELECT
    kpi,
    scope_kind,
    scope_code,
    period_kind,
    period_start,
    numerator,
    denominator,
    value,
    target,
    target_met,
    score,
    max_score,
    computed_at
FROM kpi_current_v1 FINAL
