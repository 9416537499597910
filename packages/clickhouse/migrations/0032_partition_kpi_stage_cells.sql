-- Databases created with an earlier text of 0023 keep kpi_stage_cells_v1 unpartitioned with a 7-day TTL.
-- A partition key cannot be altered: the table is re-created with the current definition (0023) and its
-- rows, so a generation staged by a run that died before the upgrade can still be finished.
-- Does nothing on any other database.
-- migrate:only-if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'kpi_stage_cells_v1' AND partition_key = ''
CREATE OR REPLACE TABLE kpi_stage_cells_v1
(
    run_id String,
    role LowCardinality(String),
    period_kind LowCardinality(String),
    period_start Date,
    admin_level LowCardinality(String),
    agency_code LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
    c01 Int64,
    c02 Int64,
    c03 Int64,
    c04 Int64,
    c05 Int64,
    c06 Int64,
    c07 Int64,
    c08 Int64,
    c09 Int64,
    c10 Int64,
    c11 Int64,
    c12 Int64,
    c13 Int64,
    c14 Int64,
    c15 Int64,
    c16 Int64,
    c17 Int64,
    c18 Int64,
    c19 Int64,
    c20 Int64,
    c21 Int64,
    c22 Int64,
    c23 Int64,
    c24 Int64,
    c25 Int64,
    c26 Int64,
    c27 Int64,
    c28 Int64,
    c29 Int64,
    c30 Int64,
    c31 Int64,
    c32 Int64,
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toStartOfHour(created_at)
ORDER BY (run_id, role, period_kind, period_start)
TTL created_at + INTERVAL 6 HOUR
SETTINGS ttl_only_drop_parts = 1, merge_with_ttl_timeout = 600
AS SELECT * FROM kpi_stage_cells_v1
