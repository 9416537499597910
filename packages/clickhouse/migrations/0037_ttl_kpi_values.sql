-- Every change of every KPI value is kept a week: one incremental cycle at 10M dossiers changes ~7,000
-- values of the running periods, every minute. Older history lives on, thinned to the last change of
-- each day, in kpi_values_daily_v1; the newest value of every key stays in kpi_current_v1 (kpi_latest).
ALTER TABLE kpi_values_v1 MODIFY TTL toDateTime(computed_at) + INTERVAL 7 DAY
