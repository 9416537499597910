-- Why a KPI row has no score (Decision 766, ../shared/INDEX766.md): empty when scored, otherwise a short
-- machine-readable reason such as `no_external_figures` or `no_catalog_data`. Older rows read ''.
ALTER TABLE kpi_values_v1 ADD COLUMN IF NOT EXISTS reason String DEFAULT '' AFTER max_score
