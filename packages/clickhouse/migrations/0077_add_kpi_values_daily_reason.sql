-- The reason of 0075 in the thinned history; kpi_values_daily_mv_v1 carries it from 0079 on.
ALTER TABLE kpi_values_daily_v1 ADD COLUMN IF NOT EXISTS reason String DEFAULT '' AFTER max_score
