-- Databases created with the first text of 0020 hold kpi_cells_v1 as a `counts` map in an
-- AggregatingMergeTree; the engine cannot be altered, so the table is re-created empty with the current
-- definition (0020). Cells are derived state: 0028/0029 make the next KPI run rebuild them from the facts.
-- Does nothing on any other database.
-- migrate:only-if SELECT count() > 0 FROM system.columns WHERE database = currentDatabase() AND table = 'kpi_cells_v1' AND name = 'counts'
CREATE OR REPLACE TABLE kpi_cells_v1
(
    period_kind LowCardinality(String),
    period_start Date,
    admin_level LowCardinality(String),
    agency_code LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
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
ORDER BY (period_kind, period_start, admin_level, agency_code, field_code, procedure_code)
SETTINGS non_replicated_deduplication_window = 1000
