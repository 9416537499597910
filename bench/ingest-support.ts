// Building blocks of bench/ingest.bench.ts: traffic, the two raw limits, the ingestor's configuration.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { createTopicsWithLeaders } from '@dossier/observability';
import { type DossierEventRow, formatHoChiMinh, normalizeMessage } from '@dossier/schemas';
import type { Admin, Kafka, Message } from 'kafkajs';
import { IngestorConfig } from '../services/ingestor/src/index.ts';

export const DAY = 86_400_000;
const NORMALIZE_KEY = 'bench-applicant-hash-key-0123';

/** The ingestor's configuration for a benchmark reading canonical events from `topic`. */
export function benchIngestorConfig(brokers: string[], topic: string, groupId: string): IngestorConfig {
  return IngestorConfig.parse({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_ID: groupId,
    TOPIC_EVENTS: topic,
    TOPIC_DVCQG: `${topic}-dvcqg`,
    TOPIC_CATALOG: `${topic}-catalog`,
    TOPIC_INDEX766_EXTERNAL: `${topic}-index766-external`,
    TOPIC_DEAD_LETTER: `${topic}-dlq`,
    APPLICANT_HASH_KEY: NORMALIZE_KEY,
    DEAD_LETTER_KEY: 'ab'.repeat(32),
    // The benchmark creates them beforehand (createTopics), each round on topics of its own.
    KAFKA_ENSURE_TOPICS: 'false',
    LOG_LEVEL: 'warn',
    // Batch settings to try (INGEST_MAX_WAIT_MS, INGEST_PARTITIONS_CONCURRENTLY …) from the environment.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INGEST_'))),
  });
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A canonical `received` event of about 410 bytes, like an agency system sends. */
export function eventMessage(i: number, base: number): Message {
  const subject = `H29.105-250304-${String(i).padStart(7, '0')}`;
  const event = {
    specversion: '1.0',
    id: randomUUID(),
    source: '/agency/H29.105/mot-cua',
    type: 'vn.dossier.received',
    time: formatHoChiMinh(base + (i % 1000) * 1000),
    subject,
    datacontenttype: 'application/json',
    data: {
      procedure_code: '1.000494.000.00.00.H29',
      channel: i % 3 === 0 ? 'direct' : 'online',
      due_at: formatHoChiMinh(base + 10 * DAY),
      applicant: { kind: 'citizen', id_number: `0791${String(i).padStart(8, '0')}` },
      components_digitized: i % 2 === 0,
    },
  };
  return { key: subject, value: JSON.stringify(event) };
}

export async function produce(kafka: Kafka, topic: string, count: number, base: number): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let bytes = 0;
  for (let from = 0; from < count; from += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, count - from) }, (_, k) =>
      eventMessage(from + k, base),
    );
    for (const m of messages) bytes += Buffer.byteLength(m.value as string);
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
  return bytes / count;
}

/** kafkajs consuming the topic and doing nothing with it. */
export async function rawConsumeRate(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let started = 0;
  let finished = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (started === 0) started = performance.now();
      seen += batch.messages.length;
      if (seen >= count && finished === 0) finished = performance.now();
    },
  });
  while (finished === 0) await sleep(20);
  await consumer.disconnect();
  return count / ((finished - started) / 1000);
}

/** Event `i` of {@link eventMessage} as the ingestor stores it, read from partition i % 3 of `topic`. */
export function normalizedRow(i: number, base: number, topic: string): DossierEventRow {
  const m = eventMessage(i, base);
  const result = normalizeMessage(
    {
      topic,
      partition: i % 3,
      offset: String(i),
      timestamp: String(Date.now()),
      key: Buffer.from(m.key as string),
      value: Buffer.from(m.value as string),
      headers: {},
    },
    {
      topics: { events: topic, dvcqg: `${topic}-dvcqg`, catalog: `${topic}-catalog` },
      now: new Date(),
      applicantHashKey: NORMALIZE_KEY,
    },
  );
  const row = result.ok && result.output.table === 'dossier_events_v1' ? result.output.rows[0] : undefined;
  if (!row) throw new Error(`bench event ${i} did not normalize to a dossier event`);
  return row as DossierEventRow;
}

/** Already-normalized rows into the same table (and its materialized views), JSONEachRow; only inserts timed. */
export async function rawInsertRate(
  clickhouse: ClickHouse,
  topic: string,
  count: number,
  chunk: number,
  base: number,
): Promise<number> {
  let elapsed = 0;
  for (let from = 0; from < count; from += chunk) {
    const rows: DossierEventRow[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i += 1) rows.push(normalizedRow(i, base, topic));
    const t0 = performance.now();
    await clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });
    elapsed += performance.now() - t0;
  }
  return count / (elapsed / 1000);
}

export async function scalar(clickhouse: ClickHouse, query: string, params: Record<string, unknown> = {}) {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  const rows = await result.json<{ n: number | string }>();
  return Number(rows[0]?.n ?? 0);
}

/** Every topic the ingestor of {@link benchIngestorConfig} reads or writes for `topic`. */
export function ingestorTopics(topic: string): string[] {
  return [topic, `${topic}-dvcqg`, `${topic}-catalog`, `${topic}-index766-external`, `${topic}-dlq`];
}

/** Creates the topics and waits until each has a leader for every partition (createTopicsWithLeaders). */
export async function createTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  await createTopicsWithLeaders(
    admin,
    topics.map((topic) => ({ topic, numPartitions: partitions })),
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

/** Polls (every 100 ms) until the group committed every partition of the topic to its high watermark. */
export async function waitCommitted(admin: Admin, groupId: string, topic: string): Promise<void> {
  for (;;) {
    const [marks, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(committed.flatMap((t) => t.partitions).map((p) => [p.partition, Number(p.offset)]));
    if (marks.every((m) => (done.get(m.partition) ?? -1) >= Number(m.high))) return;
    await sleep(100);
  }
}
