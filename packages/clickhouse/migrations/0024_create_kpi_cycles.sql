-- The KPI cycle log, shared by every aggregator instance. A generation is 'staged' by the run that
-- computed it (the first staged row of a generation wins), then 'committed' once its writes landed;
-- 'abandoned' marks a run stopped in between. judged_at: the instant open dossiers were judged at;
-- window_to: ingestion-time watermark; day_floor: the first day whose cells are maintained; layout: a
-- fingerprint of the cell layout and formulas the cells were built with (another one means a rebuild).
CREATE TABLE IF NOT EXISTS kpi_cycles_v1
(
    gen UInt64,
    run_id String,
    kind LowCardinality(String),
    state LowCardinality(String),
    judged_at DateTime64(3, 'UTC'),
    window_to DateTime64(3, 'UTC'),
    day_floor Date,
    layout String,
    created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (gen, created_at, run_id)
