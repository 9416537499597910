import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The ingestor's metrics; names and label sets are the shared contract the dashboard and alerts read. */
export function createIngestorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'ingestor_messages_total',
      help: 'Kafka messages processed, by input topic kind and outcome',
      labelNames: ['topic_kind', 'outcome'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'ingestor_batch_size_messages',
      help: 'Messages per processed Kafka batch (one ClickHouse insert per table)',
      buckets: [1, 10, 100, 500, 1_000, 5_000, 10_000, 25_000, 50_000],
      registers,
    }),
    insertDuration: new Histogram({
      name: 'ingestor_insert_duration_seconds',
      help: 'Duration of successful ClickHouse inserts, by table',
      labelNames: ['table'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'ingestor_consumer_lag_messages',
      help: 'High watermark minus committed offset, per assigned partition',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    clickhouseErrors: new Counter({
      name: 'ingestor_clickhouse_errors_total',
      help: 'Failed ClickHouse inserts, by ClickHouse error number or network error code',
      labelNames: ['code'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'ingestor_dead_letters_total',
      help: 'Messages written to the dead-letter topic and table, by reason code',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLetterTopic: new Counter({
      name: 'ingestor_dead_letter_topic_total',
      help: 'Dead letters by what the dead-letter topic got: copy, reference (too large for it) or none (refused)',
      labelNames: ['record'] as const,
      registers,
    }),
    deadLetterFailures: new Counter({
      name: 'ingestor_dead_letter_write_failures_total',
      help: 'Failed dead-letter writes (the batch is retried with backoff), by stage: topic or table',
      labelNames: ['stage'] as const,
      registers,
    }),
    pausedPartitions: new Gauge({
      name: 'ingestor_paused_partitions',
      help: 'Partitions paused while a write is backing off',
      registers,
    }),
    lastProgress: new Gauge({
      name: 'ingestor_last_progress_timestamp_seconds',
      help: 'Unix time of the last committed batch or idle fetch without lag',
      registers,
    }),
  };
}

export type IngestorMetrics = ReturnType<typeof createIngestorMetrics>;
