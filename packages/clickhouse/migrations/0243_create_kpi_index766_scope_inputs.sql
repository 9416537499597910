-- What the Decision 766 index reads per running period (the month, quarter and year holding the judging
-- instant) and scope, as it stood at a generation: the counters summed per scope, the procedure and
-- service sets, the loaded figures and the period's catalog size (index766-running.ts). `tag` is the
-- live id of the run that wrote them. A cycle starting from that generation's live cells on the same city
-- day, with no catalog row or figure loaded, adds its cell deltas to these rows and scores the scopes that
-- moved in TypeScript instead of running the index's statement. A (tag, period) is complete once its
-- marker row (scope_kind '') is written, after its rows; only markers under 4 hours old are trusted, so a
-- part dropped by the TTL is never read half. Hourly partitions are dropped whole once six hours old.
CREATE TABLE IF NOT EXISTS kpi_index766_scope_inputs_v1
(
    tag String,
    period_kind LowCardinality(String),
    period_start Date,
    scope_kind LowCardinality(String),
    scope_code String,
    sums Array(Int64),
    sets Array(Array(String)),
    figures Array(Tuple(String, UInt64, UInt64)),
    catalog_size UInt64,
    code String DEFAULT '',
    created_at DateTime DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toStartOfHour(created_at)
ORDER BY (tag, period_kind, period_start, scope_kind, scope_code)
TTL created_at + INTERVAL 6 HOUR
SETTINGS ttl_only_drop_parts = 1, merge_with_ttl_timeout = 600
