-- Facts of the dossiers whose contribution still moves with time at the last committed cycle: open (or
-- finishing / starting after that instant). A few percent of all dossiers; each cycle judges them at its
-- own "now" instead of re-reading every dossier. Rows enter with sign 1 and leave with a sign -1 copy;
-- inserts carry the cycle generation's deduplication token.
CREATE TABLE IF NOT EXISTS kpi_open_facts_v1
(
    dossier_code String,
    agency_code LowCardinality(String),
    admin_level LowCardinality(String),
    field_code LowCardinality(String),
    procedure_code LowCardinality(String),
    channel LowCardinality(String),
    start_at Nullable(DateTime64(3, 'UTC')),
    received_at Nullable(DateTime64(3, 'UTC')),
    finished_at Nullable(DateTime64(3, 'UTC')),
    finish_kind LowCardinality(String),
    due_at Nullable(DateTime64(3, 'UTC')),
    deadline_no_due Nullable(DateTime64(3, 'UTC')),
    supplement_requested_at Array(DateTime64(3, 'UTC')),
    supplement_received_at Array(DateTime64(3, 'UTC')),
    fee_known UInt8,
    fee_positive UInt8,
    paid_online UInt8,
    fee_bearing UInt8,
    rating_satisfied Nullable(UInt8),
    digitized UInt8,
    facts_version UInt64,
    sign Int8
)
ENGINE = CollapsingMergeTree(sign)
ORDER BY dossier_code
SETTINGS non_replicated_deduplication_window = 1000
