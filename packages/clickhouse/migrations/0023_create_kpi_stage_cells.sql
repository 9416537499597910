-- Scratch: signed cell deltas of one cycle generation (role 'delta', applied to kpi_cells_v1 in one
-- deduplicated insert) and the open dossiers' cells judged at the run's now (role 'live'). Rows expire.
CREATE TABLE IF NOT EXISTS kpi_stage_cells_v1
(
    run_id String,
    role LowCardinality(String),
    period_kind LowCardinality(String),
    period_start Date,
    admin_level LowCardinality(String),
    agency_code LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
    counts Map(String, Int64),
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (run_id, role, period_kind, period_start)
TTL created_at + INTERVAL 7 DAY
