-- The Decision 766 index is written for the city and for units (agencies, with their sub-units) by month,
-- quarter and year. The two parts computed before (index766.progress, index766.online_payment) also had
-- rows for admin levels, fields, procedures and days, which no run would update again: they leave
-- kpi_latest. Their history stays in kpi_values_v1 and kpi_values_daily_v1.
ALTER TABLE kpi_current_v1 DELETE
WHERE kpi IN ('index766.progress', 'index766.online_payment')
    AND (scope_kind NOT IN ('city', 'agency') OR period_kind = 'day')
