-- The fingerprint of what the Decision 766 statement read when it last wrote a period's values (the
-- period's scope and procedure cells, the open dossiers judged at the run's instant, the catalog, the
-- loaded figures, the city day and the statement's own text): a cycle whose inputs hash to the stored
-- fingerprint skips the statement, which costs seconds to plan and would write nothing. A run writes 0
-- for its periods before it writes their values and the fingerprint after, so a run stopped in between
-- leaves 0, which no inputs match.
CREATE TABLE IF NOT EXISTS kpi_index766_inputs_v1
(
    period_kind LowCardinality(String),
    period_start Date,
    fingerprint UInt64,
    run_id String,
    written_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY (period_kind, period_start)
