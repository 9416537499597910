-- The newest value per kpi x scope x period, kept by kpi_current_mv_v1 from every insert into
-- kpi_values_v1. A run compares against this compact table, so its cost does not grow with the history.
CREATE TABLE IF NOT EXISTS kpi_current_v1
(
    kpi LowCardinality(String),
    scope_kind LowCardinality(String),
    scope_code String,
    period_kind LowCardinality(String),
    period_start Date,
    numerator UInt64,
    denominator UInt64,
    value Nullable(Float64),
    target Nullable(Float64),
    target_met Nullable(UInt8),
    score Nullable(Float64),
    max_score Nullable(Float64),
    computed_at DateTime64(3, 'UTC'),
    run_id String
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (period_kind, period_start, kpi, scope_kind, scope_code)
