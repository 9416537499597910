-- Figures of the Decision 766 index that no dossier carries, loaded by an operator from a CSV of
-- published figures (topic dossier.index766-external.v1, CLI `npm run index766:load`), one row per
-- (scope, period, figure[, dossier]) and load in which it changed. scope_kind 'city' has scope_code ''
-- (as in kpi_latest), 'agency' the agency code. figure is the KPI id of an external component
-- (index766.transparency.published_on_time, .publicised_on_time, .full_content,
-- index766.satisfaction.petitions_on_time, .petition_satisfaction, index766.digitization.e_certified_copies:
-- numerator / denominator as published), or national_reporting.received (the national reporting system's
-- received count for 1.4 in numerator, denominator 0), or petitions.dossier (dossier_code set: numerator 1
-- = the dossier was the subject of a petition in the period, 0 = a correction withdrawing it; denominator
-- 0). dossier_code is '' for every other figure. A load writes only rows whose figure differs from the
-- effective one (index766_external_latest_v1), so loading the same CSV again writes nothing; event_id
-- (load_id and CSV line) makes a redelivered message replace its own row.
CREATE TABLE IF NOT EXISTS index766_external_v1
(
    scope_kind LowCardinality(String),
    scope_code String,
    period_kind LowCardinality(String),
    period_start Date,
    figure LowCardinality(String),
    dossier_code String,
    numerator UInt64,
    denominator UInt64,
    source String,
    loaded_at DateTime64(3, 'UTC'),
    load_id String,
    csv_line UInt32,
    event_id String
)
ENGINE = ReplacingMergeTree
ORDER BY (figure, period_kind, period_start, scope_kind, scope_code, dossier_code, event_id)
