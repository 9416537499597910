-- The reason of 0075 in the newest value per key; kpi_current_mv_v1 carries it from 0078 on.
ALTER TABLE kpi_current_v1 ADD COLUMN IF NOT EXISTS reason String DEFAULT '' AFTER max_score
