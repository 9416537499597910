-- Databases created with the first text of 0022 keep kpi_stage_facts_v1 unpartitioned with a 7-day TTL.
-- A partition key cannot be altered: the table is re-created with the current definition (0022) and its
-- rows, so a generation staged by a run that died before the upgrade can still be finished.
-- Does nothing on any other database.
-- migrate:only-if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'kpi_stage_facts_v1' AND partition_key = ''
CREATE OR REPLACE TABLE kpi_stage_facts_v1
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
AS SELECT * FROM kpi_stage_facts_v1
