-- One row per dossier with everything the dossier KPIs need, resolved against the catalog valid at the
-- dossier's start (admin level, field, fee-bearing, legal maximum). Refreshed only for dossiers touched
-- since the last run, so a cycle never re-merges all of dossier_state_v1.
CREATE TABLE IF NOT EXISTS kpi_dossier_facts_v1
(
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
    facts_version UInt64
)
ENGINE = ReplacingMergeTree(facts_version)
ORDER BY dossier_code
