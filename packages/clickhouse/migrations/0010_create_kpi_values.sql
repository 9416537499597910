-- Every KPI computation that changed a value, kept as history (MergeTree, never replaced); kpi_current_v1
-- keeps the newest row per key. A run writes only rows whose numbers differ from kpi_latest, so the
-- history grows with changes, not with the schedule.
CREATE TABLE IF NOT EXISTS kpi_values_v1
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
ENGINE = MergeTree
PARTITION BY toYear(period_start)
ORDER BY (kpi, period_kind, period_start, scope_kind, scope_code, computed_at)
