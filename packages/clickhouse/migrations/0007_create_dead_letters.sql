-- Rejected input, byte for byte (base64), with the reason; keyed by its source position so a redelivered
-- rejection is stored once.
CREATE TABLE IF NOT EXISTS dead_letters_v1
(
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    message_key_base64 Nullable(String),
    value_base64 String,
    value_bytes UInt32,
    headers_json String,
    reason_code LowCardinality(String),
    reason_text String,
    message_timestamp DateTime64(3, 'UTC'),
    rejected_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (source_topic, source_partition, source_offset)
