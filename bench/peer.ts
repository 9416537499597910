// The peer a ClickHouse user would pick instead of the ingestor: ClickHouse's own Kafka table engine and a
// materialized view into dossier_events_v1, inside the same engine, fed the same events already
// normalized (one JSONEachRow row a message). It validates, dead-letters and deduplicates nothing.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import type { DossierEventRow } from '@dossier/schemas';
import type { Kafka, Message } from 'kafkajs';
import { produceAtRate, quantiles } from './freshness-support.ts';
import { normalizedRow, scalar, sleep } from './ingest-support.ts';

/** The engine's settings the peer runs with: its defaults but for what it cannot do without. */
export const PEER_ENGINE = { kafka_format: 'JSONEachRow', kafka_num_consumers: 1 } as const;

export interface Peer {
  /** Rows/s from creating the view to the last row stored, and from the first row stored to the last. */
  rate(
    count: number,
  ): Promise<{ rowsPerSecond: number; flowingRowsPerSecond: number | null; firstRowsSeconds: number }>;
  drop(): Promise<void>;
}

/** DDL cannot take query parameters: names and addresses that reach it are checked to be plain. */
function plain(value: string): string {
  if (!/^[\w.:,-]+$/.test(value)) throw new Error(`not a plain name or address: ${value}`);
  return value;
}

/** Produces `count` events, normalized as the ingestor would store them, one row a message. */
export async function produceNormalized(kafka: Kafka, topic: string, count: number, base: number) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    // Normalized rows are ~1 KB: 500 a request stays under the broker's 1 MB request limit.
    for (let from = 0; from < count; from += 500) {
      const messages: Message[] = [];
      for (let i = from; i < Math.min(count, from + 500); i += 1) {
        const row = normalizedRow(i, base, topic);
        messages.push({ key: row.dossier_code, value: JSON.stringify(row) });
      }
      await producer.send({ topic, messages, acks: 1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Attaches the peer to `topic` (a Kafka engine table, then the view that starts it). */
export async function startPeer(clickhouse: ClickHouse, brokers: string[], topic: string): Promise<Peer> {
  const suffix = randomUUID().slice(0, 8);
  const queue = `peer_queue_${suffix}`;
  const view = `peer_mv_${suffix}`;
  const described = await clickhouse.query({
    query: 'DESCRIBE TABLE dossier_events_v1',
    format: 'JSONEachRow',
  });
  // ingested_at is left to the target table's default, set when the view inserts a block.
  const columns = (await described.json<{ name: string; type: string; default_type: string }>()).filter(
    (c) => c.default_type === '',
  );
  await clickhouse.command({
    query: `CREATE TABLE ${queue} (${columns.map((c) => `${c.name} ${c.type}`).join(', ')})
      ENGINE = Kafka SETTINGS kafka_broker_list = '${plain(brokers.join(','))}',
        kafka_topic_list = '${plain(topic)}', kafka_group_name = '${plain(`peer-${suffix}`)}',
        kafka_format = '${PEER_ENGINE.kafka_format}', kafka_num_consumers = ${PEER_ENGINE.kafka_num_consumers}`,
  });
  const started = performance.now();
  await clickhouse.command({
    query: `CREATE MATERIALIZED VIEW ${view} TO dossier_events_v1 AS
      SELECT ${columns.map((c) => c.name).join(', ')} FROM ${queue}`,
  });
  const stored = () => scalar(clickhouse, 'SELECT count() AS n FROM dossier_events_v1');
  return {
    async rate(count) {
      let first = 0;
      let firstRows = 0;
      let n = 0;
      while (n < count) {
        await sleep(100);
        n = await stored();
        if (n > 0 && first === 0) [first, firstRows] = [performance.now(), n];
      }
      const done = performance.now();
      return {
        rowsPerSecond: count / ((done - started) / 1000),
        // Rows after the first flush over the time they took; none when one flush carried them all.
        flowingRowsPerSecond: n > firstRows ? (n - firstRows) / ((done - first) / 1000) : null,
        firstRowsSeconds: (first - started) / 1000,
      };
    },
    async drop() {
      await clickhouse.command({ query: `DROP VIEW IF EXISTS ${view} SYNC` });
      await clickhouse.command({ query: `DROP TABLE IF EXISTS ${queue} SYNC` });
    },
  };
}

/**
 * The peer's freshness at `rate`/s: each normalized row from its send to the time its block was inserted
 * (ingested_at, the target's default: a lower bound of when readers see it, the insert still running).
 */
export async function peerFreshness(
  clickhouse: ClickHouse,
  kafka: Kafka,
  topic: string,
  rate: number,
  seconds: number,
) {
  const label = `${topic}-fresh`;
  const sent = await produceAtRate(kafka, topic, rate, seconds, (i, base) => {
    const row: DossierEventRow = normalizedRow(i, base, label);
    return { key: row.dossier_code, value: JSON.stringify(row), id: row.event_id };
  });
  const query = 'SELECT count() AS n FROM dossier_events_v1 WHERE source_topic = {t:String}';
  const deadline = Date.now() + 120_000;
  while ((await scalar(clickhouse, query, { t: label })) < sent.size && Date.now() < deadline)
    await sleep(100);
  const result = await clickhouse.query({
    query: `SELECT event_id, toUnixTimestamp64Milli(ingested_at) AS t FROM dossier_events_v1
      WHERE source_topic = {t:String}`,
    query_params: { t: label },
    format: 'JSONEachRow',
  });
  const delays = (await result.json<{ event_id: string; t: number | string }>()).flatMap((r) => {
    const at = sent.get(r.event_id);
    return at === undefined ? [] : [Number(r.t) - at];
  });
  return { rate, samples: delays.length, missing: sent.size - delays.length, ...quantiles(delays) };
}
