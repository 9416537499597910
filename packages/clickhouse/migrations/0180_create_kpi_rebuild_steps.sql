-- Durable progress of a full KPI rebuild (first start, cell-layout change, backfill), which runs in
-- bounded slices of the dossiers: one row per finished step of the rebuild identified by `rebuild`
-- (its generation, judged instant and window). A run that takes over a rebuild whose process died
-- (SIGKILL, OOM) skips the steps recorded here. `plan` rows hold the slice boundaries and the range.
CREATE TABLE IF NOT EXISTS kpi_rebuild_steps_v1
(
    rebuild String,
    step String,
    run_id String,
    detail String DEFAULT '',
    done_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (rebuild, step, done_at)
TTL toDateTime(done_at) + INTERVAL 30 DAY
