-- Agencies with validity history (district level ended on 2025-07-01; merged agencies keep their past rows).
CREATE TABLE IF NOT EXISTS agencies_v1
(
    agency_code String,
    name String,
    admin_level LowCardinality(String),
    parent_code Nullable(String),
    valid_from Date,
    valid_to Nullable(Date),
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (agency_code, valid_from)
