-- The operators' audit trail: one row per state-changing request that passed the credential guard
-- (Bull Board queue and job actions, dead-letter replay, loaders), with its result. Append-only: rows are
-- only ever inserted, never updated or deleted, and no TTL removes them.
CREATE TABLE IF NOT EXISTS operator_actions_v1
(
    action_id UUID,
    started_at DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    action LowCardinality(String),
    method LowCardinality(String),
    route String,
    target String,
    details String,
    credential_id LowCardinality(String),
    auth_method LowCardinality(String),
    remote_address String,
    status UInt16,
    outcome LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (started_at, action_id)
