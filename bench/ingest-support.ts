// Building blocks of bench/ingest.bench.ts: traffic, the two raw limits, and freshness.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { createMetricsRegistry, type Health, type Logger } from '@dossier/observability';
import { type DossierEventRow, formatHoChiMinh, normalizeMessage } from '@dossier/schemas';
import type { Admin, Kafka, Message } from 'kafkajs';
import { type IngestorConfig, startIngestor } from '../services/ingestor/src/index.ts';

export const DAY = 86_400_000;
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

/** Already-normalized rows into the same table (and its materialized view), JSONEachRow; only inserts timed. */
export async function rawInsertRate(
  clickhouse: ClickHouse,
  topic: string,
  count: number,
  chunk: number,
  base: number,
): Promise<number> {
  const options = {
    topics: { events: topic, dvcqg: `${topic}-dvcqg`, catalog: `${topic}-catalog` },
    now: new Date(),
    applicantHashKey: 'bench-applicant-hash-key-0123',
  };
  let elapsed = 0;
  for (let from = 0; from < count; from += chunk) {
    const rows: DossierEventRow[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i += 1) {
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
        options,
      );
      if (result.ok && result.output.table === 'dossier_events_v1') rows.push(...result.output.rows);
    }
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

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Produces at `rate` events/s for `seconds` into a running ingestor and measures, per event, the
 * time from just before the send to ClickHouse's insert time (ingested_at) of its row.
 */
export async function measureFreshness(
  kafka: Kafka,
  clickhouse: ClickHouse,
  config: IngestorConfig,
  deps: { logger: Logger; health: Health; kafka: Kafka },
  rate: number,
  seconds: number,
) {
  const topic = config.TOPIC_EVENTS;
  const ingestor = await startIngestor({ ...deps, clickhouse, config, registry: createMetricsRegistry() });
  const producer = kafka.producer();
  await producer.connect();
  const sentAt = new Map<string, number>();
  const base = Date.now() - DAY;
  const warmUp = eventMessage(0, base);
  await producer.send({ topic, messages: [warmUp] });
  while (
    (await scalar(clickhouse, 'SELECT count() AS n FROM dossier_events_v1 WHERE source_topic = {t:String}', {
      t: topic,
    })) < 1
  ) {
    await sleep(50);
  }
  const perTick = Math.max(1, Math.round(rate / 20));
  const start = performance.now();
  for (let tick = 0; tick < seconds * 20; tick += 1) {
    const messages = Array.from({ length: perTick }, (_, k) => eventMessage(1 + tick * perTick + k, base));
    const now = Date.now();
    for (const m of messages) sentAt.set(JSON.parse(m.value as string).id, now);
    await producer.send({ topic, messages, acks: 1 });
    const next = start + (tick + 1) * 50;
    await sleep(Math.max(0, next - performance.now()));
  }
  const expected = sentAt.size + 1;
  const countQuery = 'SELECT count() AS n FROM dossier_events_v1 FINAL WHERE source_topic = {t:String}';
  while ((await scalar(clickhouse, countQuery, { t: topic })) < expected) await sleep(100);
  await producer.disconnect();
  await ingestor.stop();
  const result = await clickhouse.query({
    query: `SELECT event_id, toUnixTimestamp64Milli(ingested_at) AS t FROM dossier_events_v1 FINAL
      WHERE source_topic = {t:String}`,
    query_params: { t: topic },
    format: 'JSONEachRow',
  });
  const delays = (await result.json<{ event_id: string; t: number | string }>())
    .flatMap((r) => {
      const sent = sentAt.get(r.event_id);
      return sent === undefined ? [] : [Number(r.t) - sent];
    })
    .sort((a, b) => a - b);
  return {
    rate,
    samples: delays.length,
    p50Ms: quantile(delays, 0.5),
    p99Ms: quantile(delays, 0.99),
    maxMs: delays[delays.length - 1] ?? Number.NaN,
  };
}
