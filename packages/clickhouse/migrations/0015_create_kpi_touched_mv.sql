CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_touched_mv_v1 TO kpi_touched_v1 AS
SELECT e.ingested_at AS ingested_at, e.dossier_code AS dossier_code
FROM dossier_events_v1 AS e
