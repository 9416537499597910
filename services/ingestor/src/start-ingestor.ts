import type { ClickHouse } from '@dossier/clickhouse';
import { deadLetterKeys, readTopicLimit, sealLegacyDeadLetters } from '@dossier/dead-letters';
import { createHeartbeat, type Health, isSettlingKafkaError, type Logger } from '@dossier/observability';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createBatchHandler } from './batch-handler.ts';
import type { IngestorClickHouse } from './clickhouse-writer.ts';
import { coalesceInserts } from './coalesced-inserts.ts';
import { type IngestorConfig, inputTopics, type TopicKind } from './config.ts';
import { BatchAbandonedError } from './errors.ts';
import { createLagMonitor } from './lag-monitor.ts';
import { createIngestorMetrics } from './metrics.ts';
import { createPartitionBackoff } from './partition-backoff.ts';
import { ensureTopics } from './topics.ts';

export interface IngestorDeps {
  config: IngestorConfig;
  logger: Logger;
  registry: Registry;
  health: Health;
  /** Shared client (one chDB per process in embedded mode); only `insert` is used. */
  clickhouse: IngestorClickHouse;
  kafka: Kafka;
  /** Dead-letter producer; by default one is created from `kafka` and closed on stop. */
  producer?: Pick<Producer, 'send'>;
  now?: () => Date;
}

export interface Ingestor {
  stop(): Promise<void>;
}

/** Cancels awaits of an in-flight batch once the shutdown deadline passes. */
function createAbandoner() {
  const controller = new AbortController();
  const guard = <T>(promise: Promise<T>): Promise<T> => {
    const { signal } = controller;
    if (signal.aborted) return Promise.reject(new BatchAbandonedError());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new BatchAbandonedError());
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };
  return { guard, abandon: () => controller.abort() };
}

/**
 * Brings stored dead letters under DEAD_LETTER_KEY before the ingestor starts: plaintext rows of
 * dead_letters_v1 are sealed into dead_letters_v2 (and the old table dropped), rows of a previous key
 * sealed again. Composition roots call it once at start, after the migrations.
 */
export async function sealStoredDeadLetters(
  clickhouse: Pick<ClickHouse, 'query' | 'insert' | 'command'>,
  config: Pick<IngestorConfig, 'DEAD_LETTER_KEY' | 'DEAD_LETTER_PREVIOUS_KEYS'>,
  logger: Logger,
): Promise<void> {
  const keys = deadLetterKeys(config.DEAD_LETTER_KEY, config.DEAD_LETTER_PREVIOUS_KEYS);
  const sealed = await sealLegacyDeadLetters(clickhouse, keys);
  if (sealed.legacy > 0 || sealed.resealed > 0)
    logger.info({ ...sealed, keyId: keys.current.id }, 'stored dead letters sealed with the current key');
}

/**
 * Starts the consumer group on the input topics. Returns once the consumer runs; `stop()`
 * lets the in-flight batch finish (or abandons it uncommitted at SHUTDOWN_TIMEOUT_MS), leaves the
 * group and closes what this function opened (never the shared ClickHouse client).
 */
export async function startIngestor(deps: IngestorDeps): Promise<Ingestor> {
  const { config, logger, kafka } = deps;
  const metrics = createIngestorMetrics(deps.registry);
  const topics = inputTopics(config);
  const topicKinds = new Map<string, TopicKind>(
    (Object.entries(topics) as [TopicKind, string][]).map(([kind, topic]) => [topic, kind]),
  );
  const now = deps.now ?? (() => new Date());
  const admin = kafka.admin();
  await admin.connect();
  if (config.KAFKA_ENSURE_TOPICS) {
    const created = await ensureTopics(
      admin,
      [...Object.values(topics), config.TOPIC_DEAD_LETTER],
      config.KAFKA_TOPIC_PARTITIONS,
    );
    if (created.length > 0) logger.info({ topics: created }, 'topics created');
  }
  const keys = deadLetterKeys(config.DEAD_LETTER_KEY, config.DEAD_LETTER_PREVIOUS_KEYS);
  let topicLimit = await readTopicLimit(
    admin,
    config.TOPIC_DEAD_LETTER,
    config.DEAD_LETTER_MAX_MESSAGE_BYTES,
  );
  const limitLog = {
    topic: config.TOPIC_DEAD_LETTER,
    maxBatchBytes: topicLimit.maxBatchBytes,
    source: topicLimit.source,
  };
  if (topicLimit.readFromBroker) logger.info(limitLog, 'dead-letter topic limit');
  else
    logger.warn(
      limitLog,
      'dead-letter topic limit not readable from the broker (DescribeConfigs), using a fallback',
    );
  const ownProducer = deps.producer
    ? undefined
    : kafka.producer({
        allowAutoTopicCreation: false,
        // kafkajs 2's default (Java-compatible murmur2), named so kafkajs does not warn about its change.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
  await ownProducer?.connect();
  const producer = deps.producer ?? (ownProducer as Producer);

  const heartbeat = createHeartbeat(config.PROGRESS_MAX_AGE_MS);
  const onProgress = () => {
    heartbeat.beat();
    metrics.lastProgress.set(Date.now() / 1000);
  };
  let crashed = false;
  deps.health.addCheck('ingestor', () =>
    crashed ? { ok: false, detail: 'consumer crashed' } : heartbeat.check(),
  );

  const backoff = createPartitionBackoff({
    initialMs: config.RETRY_INITIAL_MS,
    maxMs: config.RETRY_MAX_MS,
    onChange: (count) => metrics.pausedPartitions.set(count),
  });
  const lag = createLagMonitor({
    admin,
    groupId: config.KAFKA_GROUP_ID,
    metrics,
    logger,
    intervalMs: config.LAG_REFRESH_MS,
  });
  const abandoner = createAbandoner();
  const eachBatch = createBatchHandler({
    logger,
    metrics,
    clickhouse: coalesceInserts(deps.clickhouse),
    producer,
    deadLetterTopic: config.TOPIC_DEAD_LETTER,
    keys,
    topicLimit: {
      current: () => topicLimit,
      refresh: async () => {
        topicLimit = await readTopicLimit(
          admin,
          config.TOPIC_DEAD_LETTER,
          config.DEAD_LETTER_MAX_MESSAGE_BYTES,
        );
        logger.info(
          { maxBatchBytes: topicLimit.maxBatchBytes, source: topicLimit.source },
          'dead-letter topic limit read again',
        );
      },
    },
    guard: abandoner.guard,
    topicKinds,
    backoff,
    onProgress,
    normalizeOptions: () => ({
      topics,
      now: now(),
      applicantHashKey: config.APPLICANT_HASH_KEY,
      maxMessageBytes: config.INGEST_MAX_MESSAGE_BYTES,
      futureToleranceMs: config.INGEST_FUTURE_TOLERANCE_MS,
    }),
  });

  const consumer = kafka.consumer({
    groupId: config.KAFKA_GROUP_ID,
    minBytes: config.INGEST_MIN_BYTES,
    maxBytes: config.INGEST_MAX_BYTES,
    maxBytesPerPartition: config.INGEST_MAX_BYTES_PER_PARTITION,
    maxWaitTimeInMs: config.INGEST_MAX_WAIT_MS,
  });
  const { GROUP_JOIN, REBALANCING, CRASH, FETCH } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) => {
    lag.setAssignment(payload.memberAssignment);
    logger.info({ groupId: payload.groupId, assignment: payload.memberAssignment }, 'group joined');
    lag.refresh().catch((err) => logger.warn({ err }, 'consumer lag refresh failed'));
  });
  consumer.on(REBALANCING, ({ payload }) => logger.info({ groupId: payload.groupId }, 'group rebalancing'));
  consumer.on(CRASH, ({ payload }) => {
    crashed = !payload.restart;
    // A group still settling (coordinator loading on a fresh broker, a rebalance) is restarted from by
    // kafkajs as designed: not an error unless the consumer stays down.
    if (payload.restart && isSettlingKafkaError(payload.error))
      logger.info({ err: payload.error }, 'consumer restarting while the group settles');
    else logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
  });
  // An idle fetch is progress too, but only when nothing is waiting: no lag and nothing paused.
  consumer.on(FETCH, () => {
    if (lag.totalLag() === 0 && backoff.pausedCount() === 0) onProgress();
  });

  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: config.KAFKA_FROM_BEGINNING });
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.INGEST_PARTITIONS_CONCURRENTLY,
    eachBatch: async (payload) => {
      await eachBatch(payload);
    },
  });
  lag.start();
  logger.info({ topics: Object.values(topics), groupId: config.KAFKA_GROUP_ID }, 'ingestor started');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    backoff.stop();
    lag.stop();
    const deadline = setTimeout(() => {
      logger.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed, abandoning batch');
      abandoner.abandon();
    }, config.SHUTDOWN_TIMEOUT_MS);
    try {
      // Waits for the in-flight batch (finished, or abandoned at the deadline), commits, leaves the group.
      await consumer.disconnect();
    } finally {
      clearTimeout(deadline);
      await ownProducer?.disconnect();
      await admin.disconnect();
      metrics.pausedPartitions.set(0);
      logger.info('ingestor stopped');
    }
  };
  return {
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
