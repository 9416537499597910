import { formatUtc } from '@dossier/schemas';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { DLQ_HEADERS } from './headers.ts';
import { type DeadLetterKeys, headerList, positionOf, seal } from './seal.ts';

/** The table every dead letter is stored in (migration 0040). */
export const DEAD_LETTERS_TABLE = 'dead_letters_v2';

const MAX_REASON_CHARS = 1_000;
const LAST_STORABLE_MS = Date.UTC(2299, 11, 31);

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rejection: { code: string; reason: string };
}

/** What the dead-letter topic holds for a letter: its copy, a reference to the table row, or nothing. */
export type TopicRecord = 'copy' | 'reference' | 'none';

/** Row of dead_letters_v2; rejected_at is the table's default. */
export interface DeadLetterRow {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason_code: string;
  reason_text: string;
  value_bytes: number;
  key_bytes: number;
  message_timestamp: string;
  topic_record: TopicRecord;
  topic_note: string;
  payload_key_id: string;
  payload_sealed: string;
}

function reasonText(letter: DeadLetter): string {
  return letter.rejection.reason.slice(0, MAX_REASON_CHARS);
}

function sourceHeaders(letter: DeadLetter, payload: 'copy' | 'reference'): IHeaders {
  return {
    [DLQ_HEADERS.reasonCode]: letter.rejection.code,
    [DLQ_HEADERS.reasonText]: reasonText(letter),
    [DLQ_HEADERS.sourceTopic]: letter.topic,
    [DLQ_HEADERS.sourcePartition]: String(letter.partition),
    [DLQ_HEADERS.sourceOffset]: letter.message.offset,
    [DLQ_HEADERS.sourceTimestamp]: letter.message.timestamp,
    [DLQ_HEADERS.payload]: payload,
  };
}

/**
 * The original key, value and headers byte for byte, plus where it came from and why it was refused.
 * The topic carries original bytes by design (its ACLs protect it); the table only holds them sealed.
 */
export function toCopyMessage(letter: DeadLetter): Message {
  const { message } = letter;
  return {
    key: message.key,
    value: message.value,
    headers: { ...(message.headers ?? {}), ...sourceHeaders(letter, 'copy') },
    timestamp: message.timestamp,
  };
}

/** A small message pointing at the table row, for a letter the topic cannot take. No original bytes. */
export function toReferenceMessage(letter: DeadLetter, note: string): Message {
  const { message } = letter;
  return {
    key: null,
    value: JSON.stringify({
      table: DEAD_LETTERS_TABLE,
      source_topic: letter.topic,
      source_partition: letter.partition,
      source_offset: message.offset,
      reason_code: letter.rejection.code,
      value_bytes: message.value?.length ?? 0,
      note,
    }),
    headers: sourceHeaders(letter, 'reference'),
  };
}

const byteLength = (v: Buffer | string | null | undefined) =>
  v === null || v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v);

/**
 * An upper bound of a message's size inside a Kafka record batch (v2): the record's varint fields at
 * their widest, its key, value and headers. The broker's limits apply to whole batches, so a request
 * whose messages add up to at most `limit - RECORD_BATCH_OVERHEAD` is accepted.
 */
export function recordBytes(message: Message): number {
  let size = 36 + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of headerList(message.headers as Record<string, Buffer | string>))
    size += 10 + Buffer.byteLength(name) + value.length;
  return size;
}

export const RECORD_BATCH_OVERHEAD = 61;

export function toDeadLetterRow(
  letter: DeadLetter,
  keys: DeadLetterKeys,
  topic: { record: TopicRecord; note: string },
): DeadLetterRow {
  const { message, rejection } = letter;
  const timestampMs = Number(message.timestamp);
  // DateTime64(3) ends in 2299: a producer's absurd timestamp must not make the row unwritable.
  const storable = Number.isFinite(timestampMs) && timestampMs >= 0 && timestampMs < LAST_STORABLE_MS;
  return {
    source_topic: letter.topic,
    source_partition: letter.partition,
    source_offset: message.offset,
    reason_code: rejection.code,
    reason_text: reasonText(letter),
    value_bytes: message.value?.length ?? 0,
    key_bytes: message.key?.length ?? 0,
    message_timestamp: formatUtc(storable ? timestampMs : 0),
    topic_record: topic.record,
    topic_note: topic.note,
    payload_key_id: keys.current.id,
    payload_sealed: seal(keys.current, positionOf(letter.topic, letter.partition, message.offset), {
      key: message.key,
      value: message.value,
      headers: headerList(message.headers),
    }),
  };
}
