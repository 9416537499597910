-- One row per accepted dossier event (canonical) or DVCQG snapshot. Redelivered or resent events share
-- event_id and collapse on merge; every reader that counts must use dossier_state_v1 or FINAL.
CREATE TABLE IF NOT EXISTS dossier_events_v1
(
    event_id String,
    dialect LowCardinality(String),
    source LowCardinality(String),
    kind LowCardinality(String),
    dossier_code String,
    agency_code LowCardinality(String),
    procedure_code Nullable(String),
    field_code Nullable(String),
    occurred_at DateTime64(3, 'UTC'),
    version UInt64,
    status Nullable(UInt8),
    channel LowCardinality(Nullable(String)),
    submitted_at Nullable(DateTime64(3, 'UTC')),
    received_at Nullable(DateTime64(3, 'UTC')),
    due_at Nullable(DateTime64(3, 'UTC')),
    finished_at Nullable(DateTime64(3, 'UTC')),
    finish_kind LowCardinality(Nullable(String)),
    fee_vnd Nullable(UInt64),
    paid_online Nullable(UInt8),
    payment_channel LowCardinality(Nullable(String)),
    supplement_requested_at Array(DateTime64(3, 'UTC')),
    supplement_received_at Array(DateTime64(3, 'UTC')),
    components_digitized Nullable(UInt8),
    result_digitized Nullable(UInt8),
    synced_national_at Nullable(DateTime64(3, 'UTC')),
    rating_satisfied Nullable(UInt8),
    rating_score Nullable(UInt8),
    applicant_kind LowCardinality(Nullable(String)),
    applicant_hash Nullable(String),
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (dossier_code, event_id)
SETTINGS non_replicated_deduplication_window = 10000
