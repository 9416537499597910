-- The history written before kpi_values_daily_v1 existed. Running it again adds nothing once merged: rows
-- of the same key and day collapse to the newest (ReplacingMergeTree). Runs once, on the server the
-- migrator talks to, in cluster mode too; replication carries the rows.
INSERT INTO kpi_values_daily_v1
SELECT kpi, scope_kind, scope_code, period_kind, period_start, numerator, denominator, value, target,
    target_met, score, max_score, computed_at, run_id
FROM kpi_values_v1
