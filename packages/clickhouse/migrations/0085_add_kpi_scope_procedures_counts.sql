-- Per scope and procedure, also the dossiers received online (Decision 766 3.2: online services used) and
-- those using the population database (4.5a); fee_data now counts non-zero fees only (payment B). Derived
-- state: the next KPI run rebuilds it (the cell layout changed).
ALTER TABLE kpi_scope_procedures_v1
    ADD COLUMN IF NOT EXISTS online_received Int64 AFTER paid_online,
    ADD COLUMN IF NOT EXISTS population_db Int64 AFTER online_received
