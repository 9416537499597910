-- The effective working calendar: per year, the rows of the latest load that covered it (ties on
-- loaded_at broken by load_id, so every reader picks the same load). A year with no row here has no
-- calendar: working days fall back to weekends only and whatever is computed with them says so.
CREATE VIEW IF NOT EXISTS working_calendar_latest_v1 AS
SELECT year, date, kind, name, source, load_id, loaded_at, csv_line
FROM working_calendar_v1
WHERE (year, load_id) IN
(
    SELECT year, argMax(load_id, (loaded_at, load_id))
    FROM working_calendar_v1
    GROUP BY year
)
