-- Scratch: dossiers a run refreshes. Rows expire; a run only reads its own run_id.
CREATE TABLE IF NOT EXISTS kpi_run_dossiers_v1
(
    run_id String,
    dossier_code String,
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (run_id, dossier_code)
TTL created_at + INTERVAL 1 DAY
