-- Procedure catalog with validity history; the row with the highest version wins per (code, valid_from).
CREATE TABLE IF NOT EXISTS procedures_v1
(
    procedure_code String,
    name String,
    field_code LowCardinality(String),
    agency_code LowCardinality(Nullable(String)),
    admin_levels Array(LowCardinality(String)),
    online_eligible UInt8,
    online_class LowCardinality(String),
    full_process_eligible UInt8,
    fee_bearing UInt8,
    online_payment UInt8,
    dvcqg_integrated UInt8,
    max_processing_working_days Nullable(Float64),
    valid_from Date,
    valid_to Nullable(Date),
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (procedure_code, valid_from)
