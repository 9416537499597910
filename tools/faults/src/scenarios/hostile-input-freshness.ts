// Freshness of valid events in the hostile-input scenario: how long a valid event takes from being sent
// to being queryable while hostile messages flow on the same partitions, next to clean input sent at the
// same pace in the same run. The throughput halves read prefilled topics (a backlog measures speed, not
// freshness), so this is a live phase of its own: messages are sent at a steady rate while the ingestor
// runs, and each valid event's wait is its row's `ingested_at` (the insert's time, set by ClickHouse)
// less the time its message was sent.
import type { ClickHouse } from '@dossier/clickhouse';
import { normalizeMessage } from '@dossier/schemas';
import type { Kafka, Message } from 'kafkajs';
import { type Quantiles, quantiles } from '../../../../bench/freshness-support.ts';
import { SCENARIO_HEADER } from './hostile-input-kafka.ts';
import type { PlannedMessage } from './hostile-messages.ts';

/** Messages per second of the live phases: below what a loaded 2-core machine ingests of the hostile mix. */
export const LIVE_RATE_PER_SECOND = 10;

/** Sends `messages` at `ratePerSecond`, a small group every 100 ms; resolves with each message's send time. */
export async function producePaced(
  kafka: Kafka,
  topics: Record<'events' | 'dvcqg', string>,
  messages: readonly PlannedMessage[],
  ratePerSecond: number,
): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const began = Date.now();
    for (let i = 0; i < messages.length; ) {
      // Messages due by now (the pace is kept against the start, so a slow send does not slow the rate).
      const due = Math.min(messages.length, Math.floor(((Date.now() - began) / 1000) * ratePerSecond) + 1);
      if (due <= i) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const group = messages.slice(i, due);
      const byTopic = new Map<string, Message[]>();
      for (const m of group) {
        const topic = topics[m.topic];
        byTopic.set(topic, [
          ...(byTopic.get(topic) ?? []),
          { key: m.key, value: m.value, headers: { [SCENARIO_HEADER]: m.id } },
        ]);
      }
      const at = Date.now();
      for (const m of group) sentAt.set(m.id, at);
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
        acks: -1,
      });
      i = due;
    }
  } finally {
    await producer.disconnect();
  }
  return sentAt;
}

export interface Freshness extends Quantiles {
  /** Valid events measured (an event sent twice counts once, from its first send). */
  events: number;
  /** Valid events sent that were not stored. */
  missing: number;
}

/** The rows' event ids a planned message becomes on `topics` (the input contract's identity), or why it is rejected. */
export function eventIdsOf(
  m: PlannedMessage,
  topics: Record<'events' | 'dvcqg' | 'catalog', string>,
  applicantHashKey: string,
): { ok: true; ids: string[] } | { ok: false; code: string } {
  const result = normalizeMessage(
    {
      topic: m.topic === 'dvcqg' ? topics.dvcqg : topics.events,
      partition: 0,
      offset: '0',
      timestamp: '0',
      key: m.key === null ? null : Buffer.from(m.key),
      value: m.value,
      headers: {},
    },
    { topics, now: new Date(), applicantHashKey },
  );
  if (!result.ok) return { ok: false, code: result.rejection.code };
  return { ok: true, ids: result.output.rows.map((row) => (row as { event_id: string }).event_id) };
}

/** Sent-to-queryable time of every valid event of `messages` (sent at `sentAt`) stored from `topics`. */
export async function measureFreshness(
  clickhouse: ClickHouse,
  topics: Record<'events' | 'dvcqg' | 'catalog', string>,
  messages: readonly PlannedMessage[],
  sentAt: ReadonlyMap<string, number>,
  applicantHashKey: string,
  /** Events stored before the phase: another run's copy would hide this one's wait. */
  known: ReadonlySet<string> = new Set(),
): Promise<Freshness> {
  // Each valid event's first send, by the input contract's identity (what the table's event_id is).
  const firstSent = new Map<string, number>();
  for (const m of messages) {
    const at = sentAt.get(m.id);
    if (m.expectedReasons || at === undefined) continue;
    const event = eventIdsOf(m, topics, applicantHashKey);
    if (!event.ok) continue;
    for (const id of event.ids) {
      if (known.has(id)) continue;
      firstSent.set(id, Math.min(firstSent.get(id) ?? at, at));
    }
  }
  const result = await clickhouse.query({
    // Without FINAL: an event inserted twice is queryable from its first insert.
    query: `SELECT event_id, toUnixTimestamp64Milli(min(ingested_at)) AS at FROM dossier_events_v1
      WHERE source_topic IN {topics:Array(String)} GROUP BY event_id`,
    query_params: { topics: [topics.events, topics.dvcqg] },
    format: 'JSONEachRow',
  });
  const stored = new Map(
    (await result.json<{ event_id: string; at: number | string }>()).map((r) => [r.event_id, Number(r.at)]),
  );
  const waits: number[] = [];
  let missing = 0;
  for (const [id, sent] of firstSent) {
    const at = stored.get(id);
    if (at === undefined) missing += 1;
    else waits.push(Math.max(0, at - sent));
  }
  return { events: waits.length, missing, ...quantiles(waits) };
}
