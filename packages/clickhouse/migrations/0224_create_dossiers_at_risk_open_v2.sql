-- The at-risk list's open received dossiers (issue 19; packages/kpi/src/at-risk/at-risk.sql.ts), replacing
-- dossiers_at_risk_open_v1 (0220): the same rows, with the real receipt of a dossier's one supplement (v1
-- kept it at the request, so that 0222's view added no wait once it was received; 0226's view applies the
-- rule itself). The rows of kpi_open_facts_v1 that were received and not rejected, the columns
-- dossiers_at_risk_v1 reads, ordered by deepest unit, due day in city time and dossier, so a unit's list
-- reads the key ranges of its units instead of judging every open dossier. due_at is the due date, else
-- the procedure's legal maximum; due_day its city-time date (2149-06-06 when there is neither). Nothing
-- here depends on today or on the working calendar: working days left and the state are derived when
-- read. Each KPI cycle applies its signed open-fact rows here in the same generation as to
-- kpi_open_facts_v1, with its own deduplication token; a rebuild empties and refills it; 0225 fills it
-- from v1.
CREATE TABLE IF NOT EXISTS dossiers_at_risk_open_v2
(
    dossier_code String,
    agency_code LowCardinality(String),
    procedure_code LowCardinality(String),
    field_code LowCardinality(String),
    channel LowCardinality(String),
    received_at Nullable(DateTime64(3, 'UTC')),
    finished_at Nullable(DateTime64(3, 'UTC')),
    due_at Nullable(DateTime64(3, 'UTC')),
    due_day Date,
    supplement_requested_at Array(DateTime64(3, 'UTC')),
    supplement_received_at Array(DateTime64(3, 'UTC')),
    sign Int8
)
ENGINE = CollapsingMergeTree(sign)
ORDER BY (agency_code, due_day, dossier_code)
SETTINGS non_replicated_deduplication_window = 1000
