import type { BoundQuery } from './kpi.queries.ts';

/** Dead letters per reason over the last `hours`, with the all-time count for scale. */
export function deadLettersByReasonQuery(hours: number): BoundQuery {
  return {
    query: `SELECT reason_code, countIf(rejected_at >= now64(3) - toIntervalHour({hours:UInt32})) AS recent,
        count() AS total, toString(max(rejected_at)) AS last_rejected_at
      FROM dead_letters_v1 FINAL
      GROUP BY reason_code
      ORDER BY recent DESC, total DESC, reason_code`,
    query_params: { hours },
  };
}

/**
 * The latest rejected messages by source position and reason. The column list is explicit on purpose:
 * the value, key and headers may carry personal data and never leave ClickHouse through the dashboard.
 */
export function latestDeadLettersQuery(limit: number): BoundQuery {
  return {
    query: `SELECT source_topic, source_partition, toString(source_offset) AS source_offset, reason_code,
        substringUTF8(reason_text, 1, 240) AS reason_text, value_bytes, toString(message_timestamp) AS message_timestamp,
        toString(rejected_at) AS rejected_at
      FROM dead_letters_v1
      ORDER BY rejected_at DESC, source_topic, source_partition, source_offset DESC
      LIMIT {limit:UInt32}`,
    query_params: { limit },
  };
}
