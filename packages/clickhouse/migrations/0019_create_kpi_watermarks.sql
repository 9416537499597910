-- Aggregator progress shared by every instance: name 'ingested' holds the ingestion-time watermark of the
-- last successful cycle; 'kpi:<id>' rows record when each KPI last succeeded (readiness, freshness gauge).
CREATE TABLE IF NOT EXISTS kpi_watermarks_v1
(
    name String,
    watermark DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name
