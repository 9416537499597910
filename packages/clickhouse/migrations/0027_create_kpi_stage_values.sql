-- Scratch: the KPI values a run computed, before they are compared with kpi_current_v1. Computing and
-- comparing in one statement cost more to plan than both run. Hourly partitions are dropped whole once
-- six hours old.
CREATE TABLE IF NOT EXISTS kpi_stage_values_v1
(
    values_id String,
    kpi LowCardinality(String),
    scope_kind LowCardinality(String),
    scope_code String,
    period_kind LowCardinality(String),
    period_start Date,
    numerator UInt64,
    denominator UInt64,
    score_override Nullable(Float64),
    scope_rows UInt64,
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toStartOfHour(created_at)
ORDER BY (values_id, period_kind, period_start)
TTL created_at + INTERVAL 6 HOUR
SETTINGS ttl_only_drop_parts = 1, merge_with_ttl_timeout = 600
