import type { ClickHouse } from '@dossier/clickhouse';
import type { Message, Producer } from 'kafkajs';
import { REPLAY_HEADER } from './headers.ts';
import { RECORD_BATCH_OVERHEAD, recordBytes } from './letter.ts';
import { replaySelectionQuery } from './queries.ts';
import { type DeadLetterKeys, headerRecord, open, positionOf } from './seal.ts';
import type { DeadLetterFilter } from './selection.ts';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './topic-limit.ts';

export interface ReplayFilter extends DeadLetterFilter {
  /** List what would be replayed, send nothing. */
  dryRun?: boolean;
  /**
   * At most this many letters a second, paced chunk by chunk: a backlog of thousands sent back at once
   * would queue ahead of the agencies' live input on the same partitions. Unset: as fast as Kafka takes them.
   */
  ratePerSecond?: number;
}

export interface ReplayedLetter {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason_code: string;
  rejected_at: string;
}

/** UInt64 and DateTime64 may come back from JSON as string or number depending on settings. */
interface LetterRow extends Omit<ReplayedLetter, 'source_partition' | 'source_offset'> {
  source_partition: number | string;
  source_offset: number | string;
  payload_key_id: string;
  payload_sealed: string;
}

export interface ReplayDeps {
  clickhouse: Pick<ClickHouse, 'query' | 'insert'>;
  producer: Pick<Producer, 'send'>;
  /** Opens the sealed payloads; the replay is the only path that does. */
  keys: DeadLetterKeys;
  /** Waits between paced chunks (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Letters sent, then recorded as replayed, at a time. A replay killed between a chunk's send and its
 * record sends that chunk again on the next run (harmless, see below), so this bounds what a kill repeats.
 */
export const REPLAY_CHUNK = 100;

/**
 * Messages in order, in requests whose records fit `maxBytes` as one batch (a partition's batch is what
 * the broker's size limit applies to, and one request may put them all on one partition). A message
 * larger on its own goes alone: the source topic took it once, so it takes it again. Without this, a
 * chunk of large letters (200 KB each) was one batch the broker refused as too large, every time.
 */
export function packRequests(messages: readonly Message[], maxBytes: number): Message[][] {
  const requests: Message[][] = [];
  let current: Message[] = [];
  let bytes = RECORD_BATCH_OVERHEAD;
  for (const message of messages) {
    const size = recordBytes(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      requests.push(current);
      current = [];
      bytes = RECORD_BATCH_OVERHEAD;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** The original key, value and headers, byte for byte, plus a header naming the letter. */
function toReplayMessage(keys: DeadLetterKeys, row: LetterRow): Message {
  const position = positionOf(row.source_topic, row.source_partition, row.source_offset);
  const original = open(keys, row.payload_key_id, position, row.payload_sealed);
  return {
    key: original.key,
    value: original.value,
    headers: { ...headerRecord(original.headers), [REPLAY_HEADER]: position },
  };
}

/**
 * Sends not-yet-replayed dead letters back to their source topic with their original key, bytes and
 * headers, then records each chunk in dead_letter_replays_v1 so a later run skips it. The record follows
 * the send: a crash in between replays that chunk's letters twice at worst, which the tables absorb
 * (a valid event is stored once by its id, a dossier's state and KPIs are the same whatever its events'
 * arrival order or repeats; a letter still invalid becomes a second dead letter), whereas the other
 * order could lose them. The fault suite's kill-replay scenario checks this.
 */
export async function replayDeadLetters(
  deps: ReplayDeps,
  filter: ReplayFilter = {},
): Promise<ReplayedLetter[]> {
  const result = await deps.clickhouse.query({ ...replaySelectionQuery(filter), format: 'JSONEachRow' });
  const rows = await result.json<LetterRow>();
  const letters = rows.map((r) => ({
    source_topic: r.source_topic,
    source_partition: Number(r.source_partition),
    source_offset: String(r.source_offset),
    reason_code: r.reason_code,
    rejected_at: r.rejected_at,
  }));
  if (filter.dryRun) return letters;
  const now = deps.now ?? Date.now;
  const began = now();
  for (let i = 0; i < rows.length; i += REPLAY_CHUNK) {
    // Chunk k starts no earlier than k chunks' worth of the rate after the first.
    const due = filter.ratePerSecond ? began + (i / filter.ratePerSecond) * 1000 : began;
    if (due > now()) await (deps.sleep ?? realSleep)(due - now());
    const chunk = rows.slice(i, i + REPLAY_CHUNK);
    const byTopic = new Map<string, LetterRow[]>();
    for (const row of chunk) byTopic.set(row.source_topic, [...(byTopic.get(row.source_topic) ?? []), row]);
    for (const [topic, topicRows] of byTopic) {
      const messages = topicRows.map((r) => toReplayMessage(deps.keys, r));
      for (const request of packRequests(messages, KAFKA_DEFAULT_MAX_MESSAGE_BYTES))
        await deps.producer.send({ topic, messages: request, acks: -1 });
    }
    await deps.clickhouse.insert({
      table: 'dead_letter_replays_v1',
      values: chunk.map((r) => ({
        source_topic: r.source_topic,
        source_partition: Number(r.source_partition),
        source_offset: String(r.source_offset),
        replayed_to_topic: r.source_topic,
      })),
      format: 'JSONEachRow',
    });
  }
  return letters;
}
