-- Current state per dossier, whatever the arrival order: every column is an order-independent and
-- duplicate-insensitive aggregate (min, max, argMax by (version, event_id), uniq arrays), never a count or sum.
CREATE TABLE IF NOT EXISTS dossier_state_v1
(
    dossier_code String,
    agency_code AggregateFunction(argMax, String, Tuple(UInt64, String)),
    procedure_code AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    field_code AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    channel AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    submitted_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    received_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    due_at AggregateFunction(argMax, Nullable(DateTime64(3, 'UTC')), Tuple(UInt64, String)),
    finished_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    finish_kind AggregateFunction(argMin, String, Tuple(DateTime64(3, 'UTC'), String)),
    fee_vnd AggregateFunction(argMax, Nullable(UInt64), Tuple(UInt64, String)),
    paid_online SimpleAggregateFunction(max, Nullable(UInt8)),
    payment_channel AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    supplement_requested_at AggregateFunction(groupUniqArrayArray, Array(DateTime64(3, 'UTC'))),
    supplement_received_at AggregateFunction(groupUniqArrayArray, Array(DateTime64(3, 'UTC'))),
    components_digitized SimpleAggregateFunction(max, Nullable(UInt8)),
    result_digitized SimpleAggregateFunction(max, Nullable(UInt8)),
    synced_national_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    rating_satisfied AggregateFunction(argMax, Nullable(UInt8), Tuple(UInt64, String)),
    rating_score AggregateFunction(argMax, Nullable(UInt8), Tuple(UInt64, String)),
    applicant_kind AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    applicant_hash AggregateFunction(argMax, Nullable(String), Tuple(UInt64, String)),
    last_version SimpleAggregateFunction(max, UInt64),
    first_ingested_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY dossier_code
