import { type DeadLetterFilter, selectionConditions } from './selection.ts';

/** A statement and its parameters, ready for `clickhouse.query`. */
export interface BoundQuery {
  query: string;
  query_params: Record<string, unknown>;
}

/** Dead letters per reason over the last `hours`, with the all-time count for scale. */
export function deadLettersByReasonQuery(hours: number): BoundQuery {
  return {
    query: `SELECT reason_code, countIf(rejected_at >= now64(3) - toIntervalHour({hours:UInt32})) AS recent,
        count() AS total, toString(max(rejected_at)) AS last_rejected_at
      FROM dead_letters_v2 FINAL
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
        toString(rejected_at) AS rejected_at, topic_record, substringUTF8(topic_note, 1, 240) AS topic_note
      FROM dead_letters_v2
      ORDER BY rejected_at DESC, source_topic, source_partition, source_offset DESC
      LIMIT {limit:UInt32}`,
    query_params: { limit },
  };
}

/**
 * Dead letters with whether and when they were replayed, newest first, `limit + 1` rows so the caller
 * can tell there are more. Same selection as the replay (rejected_at in [since, until), reason, topic),
 * and like the dashboard never the value, key or headers. No alias shadows a filtered column.
 */
export function deadLetterListQuery(filter: DeadLetterFilter, limit: number): BoundQuery {
  const { conditions: where, params } = selectionConditions(filter, 'd');
  params.limit = limit + 1;
  return {
    query: `SELECT d.source_topic AS topic, d.source_partition AS part, toString(d.source_offset) AS offset_text,
        d.reason_code AS reason, d.reason_text AS reason_detail, d.value_bytes AS bytes,
        toString(d.message_timestamp) AS message_time, toString(d.rejected_at) AS rejected_time,
        d.topic_record AS record_kind, substringUTF8(d.topic_note, 1, 240) AS record_note,
        r.replayed_time IS NOT NULL AS replayed, r.replayed_time AS replayed_time
      FROM dead_letters_v2 AS d FINAL
      LEFT JOIN (
        SELECT source_topic, source_partition, source_offset, toString(max(replayed_at)) AS replayed_time
        FROM dead_letter_replays_v1
        GROUP BY source_topic, source_partition, source_offset
      ) AS r ON d.source_topic = r.source_topic AND d.source_partition = r.source_partition
        AND d.source_offset = r.source_offset
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY d.rejected_at DESC, d.source_topic, d.source_partition, d.source_offset DESC
      LIMIT {limit:UInt32}
      SETTINGS join_use_nulls = 1`,
    query_params: params,
  };
}

/** Letters not replayed yet, with their payload, in source order: what a replay sends back. */
export function replaySelectionQuery(filter: DeadLetterFilter): BoundQuery {
  const { conditions, params } = selectionConditions(filter);
  const where = [
    `(source_topic, source_partition, source_offset) NOT IN
      (SELECT source_topic, source_partition, source_offset FROM dead_letter_replays_v1)`,
    ...conditions,
  ];
  // No aliases that shadow columns: WHERE would then compare the alias (a String) instead.
  return {
    query: `SELECT source_topic, source_partition, source_offset,
        payload_key_id, payload_sealed, reason_code, rejected_at
      FROM dead_letters_v2 FINAL
      WHERE ${where.join(' AND ')}
      ORDER BY source_topic, source_partition, source_offset`,
    query_params: params,
  };
}
