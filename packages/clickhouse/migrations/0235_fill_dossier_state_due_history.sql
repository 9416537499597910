-- The appointments' history of the events stored before 0230, folded as dossier_state_mv_v1 now folds
-- them, for the dossiers where it can matter: those given more than one appointment, and the open ones
-- (a later event may re-issue theirs). Merged by min only, so running it again changes nothing; the
-- other state columns get empty states, which merge away. In dossier order (the events' sorting key), so
-- the grouping streams instead of holding every dossier.
INSERT INTO dossier_state_v1 (dossier_code, due_history, last_version, first_ingested_at, last_ingested_at)
SELECT
    e.dossier_code AS dossier_code,
    minMap(
        arrayConcat(if(e.due_before_at IS NULL, [], [assumeNotNull(e.due_before_at)]), if(e.due_at IS NULL, [], [assumeNotNull(e.due_at)])),
        arrayConcat(if(e.due_before_at IS NULL, [], [toDateTime64(0, 3, 'UTC')]), if(e.due_at IS NULL, [], [coalesce(e.due_since_at, e.occurred_at)]))) AS due_history,
    max(e.version) AS last_version,
    min(e.ingested_at) AS first_ingested_at,
    max(e.ingested_at) AS last_ingested_at
FROM dossier_events_v1 AS e
WHERE e.due_at IS NOT NULL OR e.finished_at IS NOT NULL
GROUP BY e.dossier_code
HAVING uniqExact(e.due_at) > 1 OR countIf(e.finished_at IS NOT NULL) = 0
SETTINGS optimize_aggregation_in_order = 1
