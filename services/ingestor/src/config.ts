import {
  clickhouseUrl,
  csvList,
  logFormat,
  logLevel,
  port,
  positiveInt,
  secretKey,
  secretKeyList,
} from '@dossier/config';
import { z } from 'zod';

/**
 * The ingestor's environment. Batch sizing is kafkajs's own (minBytes / maxWaitTimeInMs /
 * maxBytesPerPartition): there is no extra buffer between a Kafka fetch and the ClickHouse insert.
 */
export const IngestorConfig = z
  .object({
    KAFKA_BROKERS: csvList(),
    KAFKA_CLIENT_ID: z.string().default('dossier-ingestor'),
    KAFKA_GROUP_ID: z.string().default('dossier-ingestor'),
    TOPIC_EVENTS: z.string().default('dossier.events.v1'),
    TOPIC_DVCQG: z.string().default('dossier.dvcqg-sync.v1'),
    TOPIC_CATALOG: z.string().default('dossier.catalog.v1'),
    /** Decision 766 figures no dossier carries, one CSV line per message (the index766:load CLI). */
    TOPIC_INDEX766_EXTERNAL: z.string().default('dossier.index766-external.v1'),
    TOPIC_DEAD_LETTER: z.string().default('dossier.dead-letter.v1'),
    /** Create missing topics at start (local and test stacks); production topics are provisioned. */
    KAFKA_ENSURE_TOPICS: z.stringbool().default(true),
    KAFKA_TOPIC_PARTITIONS: positiveInt().default(3),
    /** Where a new group starts: the beginning keeps a fresh deployment from skipping the backlog. */
    KAFKA_FROM_BEGINNING: z.stringbool().default(true),
    CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
    OPS_PORT: port().default(9464),
    LOG_LEVEL: logLevel(),
    LOG_FORMAT: logFormat(),
    /** HMAC key for applicant_hash; a secret, never logged. */
    APPLICANT_HASH_KEY: z.string().min(16, { error: 'expected at least 16 characters' }),
    /** AES-256 key sealing dead letters' original bytes in ClickHouse; a secret, never logged. */
    DEAD_LETTER_KEY: secretKey(),
    /** Keys of earlier rotations: rows sealed with them are sealed again with DEAD_LETTER_KEY at start. */
    DEAD_LETTER_PREVIOUS_KEYS: secretKeyList().default([]),
    /** Caps dead-letter messages below the topic's own limit (read from the broker at start). */
    DEAD_LETTER_MAX_MESSAGE_BYTES: positiveInt().optional(),
    INGEST_MIN_BYTES: positiveInt().default(256 * 1024),
    INGEST_MAX_WAIT_MS: positiveInt().default(250),
    // A fetch's bytes live several times over while a batch is normalized and sent (messages, rows, the
    // insert body): 8 MiB a fetch kept the ingestor under 300 MB resident before a backlog, 24 MiB did not.
    INGEST_MAX_BYTES_PER_PARTITION: positiveInt().default(4 * 1024 * 1024),
    INGEST_MAX_BYTES: positiveInt().default(8 * 1024 * 1024),
    // The partitions of one fetch are handled together, so their inserts merge into one (coalesced-inserts.ts).
    INGEST_PARTITIONS_CONCURRENTLY: positiveInt().default(3),
    INGEST_MAX_MESSAGE_BYTES: positiveInt().optional(),
    INGEST_FUTURE_TOLERANCE_MS: positiveInt().optional(),
    RETRY_INITIAL_MS: positiveInt().default(500),
    RETRY_MAX_MS: positiveInt().default(30_000),
    /** /readyz fails when no batch was processed for this long while there is lag. */
    PROGRESS_MAX_AGE_MS: positiveInt().default(60_000),
    LAG_REFRESH_MS: positiveInt().default(5_000),
    /** In-flight batch gets this long to finish on stop/SIGTERM; then it is abandoned uncommitted. */
    SHUTDOWN_TIMEOUT_MS: positiveInt().default(15_000),
  })
  .superRefine((c, ctx) => {
    if (c.RETRY_MAX_MS < c.RETRY_INITIAL_MS) {
      ctx.addIssue({ code: 'custom', path: ['RETRY_MAX_MS'], message: 'must be ≥ RETRY_INITIAL_MS' });
    }
    if (c.INGEST_MAX_BYTES < c.INGEST_MAX_BYTES_PER_PARTITION) {
      ctx.addIssue({
        code: 'custom',
        path: ['INGEST_MAX_BYTES'],
        message: 'must be ≥ INGEST_MAX_BYTES_PER_PARTITION',
      });
    }
    const topics = [
      c.TOPIC_EVENTS,
      c.TOPIC_DVCQG,
      c.TOPIC_CATALOG,
      c.TOPIC_INDEX766_EXTERNAL,
      c.TOPIC_DEAD_LETTER,
    ];
    if (new Set(topics).size !== topics.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['TOPIC_DEAD_LETTER'],
        message: 'input and dead-letter topics must differ',
      });
    }
  });

export type IngestorConfig = z.output<typeof IngestorConfig>;

export type TopicKind = 'events' | 'dvcqg' | 'catalog' | 'index766External';

export function inputTopics(config: IngestorConfig): Record<TopicKind, string> {
  return {
    events: config.TOPIC_EVENTS,
    dvcqg: config.TOPIC_DVCQG,
    catalog: config.TOPIC_CATALOG,
    index766External: config.TOPIC_INDEX766_EXTERNAL,
  };
}
