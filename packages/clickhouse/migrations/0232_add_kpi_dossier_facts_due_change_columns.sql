-- The appointment in force before the last re-issue and when it was re-issued (dossiers_v1, 0231), in
-- the order of FACT_COLUMNS (packages/kpi sql/cells.sql.ts). Older rows read NULL until the next KPI run
-- rebuilds the facts (the participation rule changed with them).
ALTER TABLE kpi_dossier_facts_v1
    ADD COLUMN IF NOT EXISTS due_before_at Nullable(DateTime64(3, 'UTC')) AFTER due_at,
    ADD COLUMN IF NOT EXISTS due_moved_at Nullable(DateTime64(3, 'UTC')) AFTER due_before_at
