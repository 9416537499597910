-- Scratch: periods a run recomputes (touched by new data, plus the current ones). purpose says which
-- KPIs: 'dossier' (dossier facts changed), 'procedure' (catalog changed) or 'all'. Rows expire.
CREATE TABLE IF NOT EXISTS kpi_run_periods_v1
(
    run_id String,
    period_kind LowCardinality(String),
    period_start Date,
    purpose LowCardinality(String),
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (run_id, period_kind, period_start)
TTL created_at + INTERVAL 1 DAY
