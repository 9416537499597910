-- The cell layout fingerprint of each generation (0024 as first written had none). Old generations get
-- '', which no engine version produces, so the next KPI run rebuilds the cells.
ALTER TABLE kpi_cycles_v1 ADD COLUMN IF NOT EXISTS layout String AFTER day_floor
