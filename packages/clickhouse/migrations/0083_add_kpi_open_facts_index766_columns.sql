-- The Decision 766 facts of a dossier (../shared/INDEX766.md) next to the programme KPIs' ones, in the
-- order of FACT_COLUMNS (packages/kpi sql/cells.sql.ts). Older rows read 0 until the next KPI run
-- rebuilds the facts (the cell layout changed with them).
ALTER TABLE kpi_open_facts_v1
    ADD COLUMN IF NOT EXISTS synced_national UInt8 AFTER digitized,
    ADD COLUMN IF NOT EXISTS e_result UInt8 AFTER synced_national,
    ADD COLUMN IF NOT EXISTS online_with_result UInt8 AFTER e_result,
    ADD COLUMN IF NOT EXISTS dossier_digitized UInt8 AFTER online_with_result,
    ADD COLUMN IF NOT EXISTS data_reused UInt8 AFTER dossier_digitized,
    ADD COLUMN IF NOT EXISTS data_shared UInt8 AFTER data_reused,
    ADD COLUMN IF NOT EXISTS population_db UInt8 AFTER data_shared
