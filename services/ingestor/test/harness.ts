import { deadLetterKeys, type OriginalMessage, open, positionOf } from '@dossier/dead-letters';
import { createHealth, createMetricsRegistry, type Health } from '@dossier/observability';
import type { Admin, Message, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createTestClickHouse } from '../../../test/support/clickhouse.ts';
import { testKafka } from '../../../test/support/kafka.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import type { IngestorConfig } from '../src/config.ts';
import { type Ingestor, type IngestorDeps, startIngestor } from '../src/start-ingestor.ts';
import { testConfig } from './factories.ts';

interface StoredLetter {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason_code: string;
  reason_text: string;
  topic_record: string;
  payload_key_id: string;
  payload_sealed: string;
}
export type OpenedLetter = Omit<StoredLetter, 'payload_key_id' | 'payload_sealed'> & OriginalMessage;

/** Polls until `check` returns true; fails with `what` after `timeoutMs` (a bound, not a measurement). */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

export interface Started {
  ingestor: Ingestor;
  registry: Registry;
  health: Health;
}

/** Real Kafka (shared broker, unique topics and group) + a private migrated chDB, and ingestors on them. */
export async function createHarness(
  options: { partitions?: number; config?: Partial<Record<string, string>> } = {},
) {
  const tk = testKafka();
  const ch = await createTestClickHouse();
  const config = testConfig(tk.brokers, options.config);
  const inputs = [config.TOPIC_EVENTS, config.TOPIC_DVCQG, config.TOPIC_CATALOG];
  await tk.createTopics([...inputs, config.TOPIC_DEAD_LETTER], options.partitions ?? 3);
  const producer: Producer = tk.kafka.producer();
  const admin: Admin = tk.kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  const running: Ingestor[] = [];
  const logger = testLogger('ingestor');

  async function count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
    const result = await ch.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const rows = await result.json<{ n: number | string }>();
    return Number(rows[0]?.n ?? 0);
  }

  /** True when the group committed every input partition up to its high watermark. */
  async function caughtUp(groupId = config.KAFKA_GROUP_ID, topics = inputs): Promise<boolean> {
    for (const topic of topics) {
      const [marks, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map(
        committed.flatMap((t) => t.partitions).map((p) => [p.partition, Number(p.offset)]),
      );
      for (const mark of marks) {
        const high = Number(mark.high);
        if (high > Number(mark.low) && (done.get(mark.partition) ?? -1) < high) return false;
      }
    }
    return true;
  }

  return {
    config,
    clickhouse: ch.clickhouse,
    /** The store as a URL (`chdb:<dir>` or a server), for a second client or engine on it. */
    clickhouseUrl: ch.url,
    kafka: tk.kafka,
    admin,
    producer,
    logger,
    count,
    caughtUp,
    async produce(topic: string, messages: Message[]): Promise<void> {
      await producer.send({ topic, messages, acks: -1 });
    },
    async start(overrides: Partial<IngestorDeps> & { config?: IngestorConfig } = {}): Promise<Started> {
      const registry = createMetricsRegistry();
      const health = createHealth();
      const ingestor = await startIngestor({
        logger,
        registry,
        health,
        clickhouse: ch.clickhouse,
        kafka: tk.kafka,
        ...overrides,
        config: overrides.config ?? config,
      });
      running.push(ingestor);
      return { ingestor, registry, health };
    },
    async waitCaughtUp(what = 'the group committed everything'): Promise<void> {
      await waitUntil(what, () => caughtUp());
    },
    /** Every stored dead letter with its sealed payload opened (the test holds the key). */
    async openedDeadLetters(): Promise<OpenedLetter[]> {
      const result = await ch.clickhouse.query({
        query: `SELECT source_topic, source_partition, toString(source_offset) AS source_offset, reason_code,
            reason_text, topic_record, payload_key_id, payload_sealed
          FROM dead_letters_v2 FINAL ORDER BY source_topic, source_partition, source_offset`,
        format: 'JSONEachRow',
      });
      const keys = deadLetterKeys(config.DEAD_LETTER_KEY);
      return (await result.json<StoredLetter>()).map(({ payload_key_id, payload_sealed, ...row }) => ({
        ...row,
        ...open(
          keys,
          payload_key_id,
          positionOf(row.source_topic, row.source_partition, row.source_offset),
          payload_sealed,
        ),
      }));
    },
    eventCount: () => count('SELECT count() AS n FROM dossier_events_v1 FINAL'),
    rawEventCount: () => count('SELECT count() AS n FROM dossier_events_v1'),
    dossierCount: () => count('SELECT count() AS n FROM dossiers_v1'),
    async close(): Promise<void> {
      await Promise.allSettled(running.map((i) => i.stop()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      await ch.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;
