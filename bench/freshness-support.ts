// Freshness as readers see it: an event is queryable once ClickHouse acknowledged the insert carrying it.

import type { ClickHouse } from '@dossier/clickhouse';
import { createHealth, createMetricsRegistry, type Logger } from '@dossier/observability';
import type { Kafka, Message } from 'kafkajs';
import { type IngestorConfig, insertedRows, startIngestor } from '../services/ingestor/src/index.ts';
import { DAY, eventMessage, sleep } from './ingest-support.ts';

export interface Ack {
  /** When the ingestor called insert with the event's row, and when ClickHouse acknowledged it (ms, epoch). */
  calledAt: number;
  ackedAt: number;
}

/** Wraps the client the ingestor inserts with, recording per event id when its insert was called and acknowledged. */
export function ackRecorder(client: Pick<ClickHouse, 'insert'>) {
  const acked = new Map<string, Ack>();
  /** Rows of each insert call, and the call's seconds from call to acknowledgement. */
  const calls: { rows: number; seconds: number }[] = [];
  const clickhouse: Pick<ClickHouse, 'insert'> = {
    insert: async (params) => {
      const calledAt = Date.now();
      const result = await client.insert(params);
      const ackedAt = Date.now();
      calls.push({
        rows: Array.isArray(params.values) ? params.values.length : 0,
        seconds: (ackedAt - calledAt) / 1000,
      });
      for (const row of insertedRows(params))
        if (typeof row.event_id === 'string') acked.set(row.event_id, { calledAt, ackedAt });
      return result;
    },
  };
  return {
    clickhouse,
    acked,
    calls,
    /** Waits until every id is acknowledged or `timeoutMs` passes; returns how many never were. */
    async waitFor(ids: string[], timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = ids.filter((id) => !acked.has(id)).length;
        if (missing === 0 || Date.now() > deadline) return missing;
        await sleep(50);
      }
    },
  };
}

export type TimedMessage = Message & { id: string };

/** The canonical event `i` of {@link eventMessage}, with its id. */
export function canonicalMessage(i: number, base: number): TimedMessage {
  const m = eventMessage(i, base);
  return { ...m, id: JSON.parse(m.value as string).id };
}

/** Sends messages at `rate`/s for `seconds`, in 20 sends a second; returns each message id's send time. */
export async function produceAtRate(
  kafka: Kafka,
  topic: string,
  rate: number,
  seconds: number,
  message: (i: number, base: number) => TimedMessage = canonicalMessage,
): Promise<Map<string, number>> {
  const producer = kafka.producer();
  await producer.connect();
  const sentAt = new Map<string, number>();
  const base = Date.now() - DAY;
  const perTick = Math.max(1, Math.round(rate / 20));
  const start = performance.now();
  try {
    for (let tick = 0; tick < seconds * 20; tick += 1) {
      const timed = Array.from({ length: perTick }, (_, k) => message(tick * perTick + k, base));
      const now = Date.now();
      for (const m of timed) sentAt.set(m.id, now);
      await producer.send({ topic, messages: timed.map(({ key, value }) => ({ key, value })), acks: 1 });
      await sleep(Math.max(0, start + (tick + 1) * 50 - performance.now()));
    }
  } finally {
    await producer.disconnect();
  }
  return sentAt;
}

export interface Quantiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] ?? Number.NaN };
}

/**
 * Produces at `rate` events/s for `seconds` into a running ingestor. Per event: send → acknowledgement of
 * the insert carrying it (when readers can see it), and send → its row's ingested_at (when the insert
 * began writing it: the measure the peer, whose inserts the engine makes, can be given too).
 */
export async function measureFreshness(
  kafka: Kafka,
  clickhouse: ClickHouse,
  config: IngestorConfig,
  deps: {
    logger: Logger;
    ingestClickHouse?: Pick<ClickHouse, 'insert'>;
    /** Receives every event's send → acknowledgement (ms), for figures pooled over several runs. */
    onDelays?: (delaysMs: number[]) => void;
  },
  rate: number,
  seconds: number,
) {
  const topic = config.TOPIC_EVENTS;
  const acks = ackRecorder(deps.ingestClickHouse ?? clickhouse);
  const ingestor = await startIngestor({
    config,
    logger: deps.logger,
    health: createHealth(),
    kafka,
    clickhouse: acks.clickhouse,
    registry: createMetricsRegistry(),
  });
  try {
    // One event through before timing: the group has joined and the connections are warm.
    const [warmUp] = await produceAtRate(kafka, topic, 1, 1, (i, base) => canonicalMessage(-1 - i, base));
    if (warmUp) await acks.waitFor([warmUp[0]], 120_000);
    const firstCall = acks.calls.length;
    const sent = await produceAtRate(kafka, topic, rate, seconds);
    const missing = await acks.waitFor([...sent.keys()], 120_000);
    const eventCalls = acks.calls.slice(firstCall).filter((c) => c.rows > 0);
    const result = await clickhouse.query({
      query: `SELECT event_id, toUnixTimestamp64Milli(ingested_at) AS t FROM dossier_events_v1
        WHERE source_topic = {t:String}`,
      query_params: { t: topic },
      format: 'JSONEachRow',
    });
    const ingestedAt = new Map(
      (await result.json<{ event_id: string; t: number | string }>()).map((r) => [r.event_id, Number(r.t)]),
    );
    const acked: number[] = [];
    const toCall: number[] = [];
    const call: number[] = [];
    const began: number[] = [];
    for (const [id, at] of sent) {
      const ack = acks.acked.get(id);
      if (ack) {
        acked.push(ack.ackedAt - at);
        toCall.push(ack.calledAt - at);
        call.push(ack.ackedAt - ack.calledAt);
      }
      const t = ingestedAt.get(id);
      if (t !== undefined) began.push(t - at);
    }
    deps.onDelays?.(acked);
    return {
      rate,
      samples: acked.length,
      missing,
      ...quantiles(acked),
      /** Send → ingested_at, comparable with the peer's figure. */
      ingestedAt: quantiles(began),
      /** Where the time goes: send → the ingestor's insert call (Kafka fetch, normalization)… */
      toInsertCall: quantiles(toCall),
      /** … and the insert call → ClickHouse's acknowledgement. */
      insertCall: quantiles(call),
      /** The insert calls that carried events: how many, and their rows (p50). */
      inserts: { count: eventCalls.length, rowsP50: quantiles(eventCalls.map((c) => c.rows)).p50Ms },
    };
  } finally {
    await ingestor.stop();
  }
}
