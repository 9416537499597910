-- Which dossiers received events when (ingestion time): the aggregator's watermark reads a primary-key
-- range here instead of scanning dossier_events_v1, whose key is the dossier code.
CREATE TABLE IF NOT EXISTS kpi_touched_v1
(
    ingested_at DateTime64(3, 'UTC'),
    dossier_code String
)
ENGINE = MergeTree
ORDER BY (ingested_at, dossier_code)
TTL toDateTime(ingested_at) + INTERVAL 90 DAY
