-- Pre-aggregated dossier KPI counts per cell: period × admin level × agency × field × procedure. A cell's
-- `counts` map holds, for every dossier KPI, '<kpi>:n' and '<kpi>:d', plus '_rows' (participating
-- dossiers), '_fee_data' and '_paid_online' (for the Decision 766 procedure counts). Rows are signed
-- deltas written once per committed cycle generation (insert_deduplication_token = the generation, so
-- re-applying a generation after a crash adds nothing); readers sum them with sumMap. Open dossiers
-- judged "now" in the current periods are not here: each cycle adds them from kpi_open_facts_v1.
CREATE TABLE IF NOT EXISTS kpi_cells_v1
(
    period_kind LowCardinality(String),
    period_start Date,
    admin_level LowCardinality(String),
    agency_code LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
    counts SimpleAggregateFunction(sumMap, Map(String, Int64))
)
ENGINE = AggregatingMergeTree
ORDER BY (period_kind, period_start, admin_level, agency_code, field_code, procedure_code)
SETTINGS non_replicated_deduplication_window = 1000
