-- Rejected input, keyed by its source position so a redelivered rejection is stored once. The original
-- key, value and headers are kept only sealed (AES-256-GCM, base64 of iv | tag | ciphertext) under the
-- key named by payload_key_id; only the replay path opens them. topic_record says what the dead-letter
-- topic holds for the letter: its copy, a reference to this row (too large for the topic), or none.
-- Rows of dead_letters_v1 (plaintext) are sealed into this table by the ingestor at start.
CREATE TABLE IF NOT EXISTS dead_letters_v2
(
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    reason_code LowCardinality(String),
    reason_text String,
    value_bytes UInt32,
    key_bytes UInt32,
    message_timestamp DateTime64(3, 'UTC'),
    topic_record LowCardinality(String),
    topic_note String,
    payload_key_id LowCardinality(String),
    payload_sealed String,
    rejected_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (source_topic, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000
