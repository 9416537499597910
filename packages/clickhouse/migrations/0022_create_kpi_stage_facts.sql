-- Scratch: what one cycle generation will write. role 'candidate' = facts rebuilt for touched dossiers,
-- 'new' = those that differ from kpi_dossier_facts_v1, 'open' = signed rows for kpi_open_facts_v1.
-- Kept until applied (a generation staged by a crashed run is applied by the next one). A cycle stages
-- thousands of rows a minute: hourly partitions are dropped whole once six hours old.
CREATE TABLE IF NOT EXISTS kpi_stage_facts_v1
(
    run_id String,
    role LowCardinality(String),
    sign Int8,
    dossier_code String,
    agency_code LowCardinality(String),
    admin_level LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
    channel LowCardinality(String),
    start_at Nullable(DateTime64(3, 'UTC')),
    received_at Nullable(DateTime64(3, 'UTC')),
    finished_at Nullable(DateTime64(3, 'UTC')),
    finish_kind LowCardinality(String),
    due_at Nullable(DateTime64(3, 'UTC')),
    deadline_no_due Nullable(DateTime64(3, 'UTC')),
    supplement_requested_at Array(DateTime64(3, 'UTC')),
    supplement_received_at Array(DateTime64(3, 'UTC')),
    fee_known UInt8,
    fee_positive UInt8,
    paid_online UInt8,
    fee_bearing UInt8,
    rating_satisfied Nullable(UInt8),
    digitized UInt8,
    facts_version UInt64,
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toStartOfHour(created_at)
ORDER BY (run_id, role, dossier_code)
TTL created_at + INTERVAL 6 HOUR
SETTINGS ttl_only_drop_parts = 1, merge_with_ttl_timeout = 600
