-- kpi_latest (0013) with the reason a row has no score (0075): '' when scored.
CREATE OR REPLACE VIEW kpi_latest AS
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
    reason,
    computed_at
FROM kpi_current_v1 FINAL
