-- KPI history kept for good, thinned: per kpi × scope × period, the last change of each city day on
-- which the value changed (toDate(computed_at, 'Asia/Ho_Chi_Minh')); a day period keeps only its final
-- value. The rows of kpi_values_v1 (every change, kept 7 days by 0037) arrive through
-- kpi_values_daily_mv_v1 and collapse on merge to the newest per key and day: read with FINAL.
CREATE TABLE IF NOT EXISTS kpi_values_daily_v1
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
PARTITION BY toYear(period_start)
ORDER BY (kpi, period_kind, period_start, scope_kind, scope_code,
    if(period_kind = 'day', period_start, toDate(computed_at, 'Asia/Ho_Chi_Minh')))
