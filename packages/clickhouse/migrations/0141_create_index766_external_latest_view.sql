-- The effective external figure per (scope, period, figure, dossier): the row of the latest load that
-- changed it (ties on loaded_at broken by event_id, so every reader picks the same row).
CREATE VIEW IF NOT EXISTS index766_external_latest_v1 AS
SELECT
    scope_kind,
    scope_code,
    period_kind,
    period_start,
    figure,
    dossier_code,
    latest.1 AS numerator,
    latest.2 AS denominator,
    latest.3 AS source,
    latest.4 AS loaded_at,
    latest.5 AS load_id,
    latest.6 AS csv_line
FROM
(
    SELECT
        scope_kind,
        scope_code,
        period_kind,
        period_start,
        figure,
        dossier_code,
        argMax((numerator, denominator, source, loaded_at, load_id, csv_line), (loaded_at, event_id)) AS latest
    FROM index766_external_v1
    GROUP BY scope_kind, scope_code, period_kind, period_start, figure, dossier_code
)
