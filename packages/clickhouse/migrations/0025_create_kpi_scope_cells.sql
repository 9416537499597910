-- kpi_cells_v1 summed per scope: city (scope_code ''), admin level, agency, field and procedure. Written
-- with the same signed deltas as the cells, in the same generation (its own deduplication token), so a
-- KPI value reads a few hundred rows per period instead of fanning every cell out to its scopes.
CREATE TABLE IF NOT EXISTS kpi_scope_cells_v1
(
    period_kind LowCardinality(String),
    period_start Date,
    scope_kind LowCardinality(String),
    scope_code String,
    c01 Int64,
    c02 Int64,
    c03 Int64,
    c04 Int64,
    c05 Int64,
    c06 Int64,
    c07 Int64,
    c08 Int64,
    c09 Int64,
    c10 Int64,
    c11 Int64,
    c12 Int64,
    c13 Int64,
    c14 Int64,
    c15 Int64,
    c16 Int64,
    c17 Int64,
    c18 Int64,
    c19 Int64,
    c20 Int64,
    c21 Int64,
    c22 Int64,
    c23 Int64,
    c24 Int64,
    c25 Int64,
    c26 Int64,
    c27 Int64,
    c28 Int64,
    c29 Int64,
    c30 Int64,
    c31 Int64,
    c32 Int64
)
ENGINE = SummingMergeTree
ORDER BY (period_kind, period_start, scope_kind, scope_code)
SETTINGS non_replicated_deduplication_window = 1000
