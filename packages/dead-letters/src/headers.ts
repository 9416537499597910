/** Header names on dead-letter messages; the replay command and operators key on these. */
export const DLQ_HEADERS = {
  reasonCode: 'dlq-reason-code',
  reasonText: 'dlq-reason-text',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  sourceTimestamp: 'dlq-source-timestamp',
  /** `copy`: the message carries the original key, value and headers; `reference`: it points at the table row. */
  payload: 'dlq-payload',
} as const;

/** Header on a replayed message naming the dead letter it came from (`topic/partition/offset`). */
export const REPLAY_HEADER = 'dlq-replay-of';

/** Reason code for rows that passed the normalizer but that ClickHouse refused. */
export const CLICKHOUSE_REJECTED = 'clickhouse_rejected';
