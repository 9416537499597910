-- Per scope and procedure, the dossiers received with fee data and those paid online (the cells'
-- _fee_data and _paid_online counters): the Decision 766 online-payment score counts, per scope, the
-- fee-bearing procedures that had any. Maintained with the cells, in the same generation.
CREATE TABLE IF NOT EXISTS kpi_scope_procedures_v1
(
    period_kind LowCardinality(String),
    period_start Date,
    scope_kind LowCardinality(String),
    scope_code String,
    procedure_code LowCardinality(String),
    fee_data Int64,
    paid_online Int64
)
ENGINE = SummingMergeTree
ORDER BY (period_kind, period_start, scope_kind, scope_code, procedure_code)
SETTINGS non_replicated_deduplication_window = 1000
