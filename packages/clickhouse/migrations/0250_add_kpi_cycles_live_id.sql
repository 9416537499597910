-- Whose live cells (kpi_stage_cells_v1, role 'live') hold the open dossiers judged at a committed
-- generation's instant: a cycle whose only change is due times passing starts from them and recomputes
-- the crossed dossiers only. Older generations get '', which no run writes: their next such cycle
-- recomputes every open dossier as before.
ALTER TABLE kpi_cycles_v1 ADD COLUMN IF NOT EXISTS live_id String DEFAULT '' AFTER computed
