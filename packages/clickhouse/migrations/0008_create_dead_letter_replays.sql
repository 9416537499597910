-- One row per dead letter sent back to its source topic, so a replay never sends the same letter twice.
CREATE TABLE IF NOT EXISTS dead_letter_replays_v1
(
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    replayed_to_topic LowCardinality(String),
    replayed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (source_topic, source_partition, source_offset)
