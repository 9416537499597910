import { DLQ_HEADERS } from '@dossier/dead-letters';
import { formatUtc, type Rejection } from '@dossier/schemas';
import type { IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { insertRows, type WriterDeps } from './clickhouse-writer.ts';
import { headersAsText } from './prepare-batch.ts';

const MAX_REASON_CHARS = 1_000;

export type DeadLetterProducer = Pick<Producer, 'send'>;

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rejection: Rejection;
}

/** Row of dead_letters_v1 (migration 0007); rejected_at is the table's default. */
export interface DeadLetterRow {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  message_key_base64: string | null;
  value_base64: string;
  value_bytes: number;
  headers_json: string;
  reason_code: string;
  reason_text: string;
  message_timestamp: string;
}

function reasonText(rejection: Rejection): string {
  return rejection.reason.slice(0, MAX_REASON_CHARS);
}

/** The original key, value and headers byte for byte, plus where it came from and why it was refused. */
export function toDeadLetterMessage(letter: DeadLetter): Message {
  const { message, rejection } = letter;
  const headers: IHeaders = {
    ...(message.headers ?? {}),
    [DLQ_HEADERS.reasonCode]: rejection.code,
    [DLQ_HEADERS.reasonText]: reasonText(rejection),
    [DLQ_HEADERS.sourceTopic]: letter.topic,
    [DLQ_HEADERS.sourcePartition]: String(letter.partition),
    [DLQ_HEADERS.sourceOffset]: message.offset,
    [DLQ_HEADERS.sourceTimestamp]: message.timestamp,
  };
  return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
}

export function toDeadLetterRow(letter: DeadLetter): DeadLetterRow {
  const { message, rejection } = letter;
  const value = message.value ?? Buffer.alloc(0);
  const timestampMs = Number(message.timestamp);
  return {
    source_topic: letter.topic,
    source_partition: letter.partition,
    source_offset: message.offset,
    message_key_base64: message.key ? message.key.toString('base64') : null,
    value_base64: value.toString('base64'),
    value_bytes: value.length,
    // Headers as UTF-8 text for analysts; the DLQ topic keeps their exact bytes.
    headers_json: JSON.stringify(headersAsText(message.headers)),
    reason_code: rejection.code,
    reason_text: reasonText(rejection),
    message_timestamp: formatUtc(Number.isFinite(timestampMs) && timestampMs >= 0 ? timestampMs : 0),
  };
}

export interface DeadLetterDeps extends WriterDeps {
  producer: DeadLetterProducer;
  deadLetterTopic: string;
}

/**
 * Topic first, then table; both must succeed before the batch's offsets are committed. A retry may
 * send a letter to the topic twice; the table keeps one row per source position (ReplacingMergeTree).
 */
export async function writeDeadLetters(
  deps: DeadLetterDeps,
  letters: DeadLetter[],
  token: string,
): Promise<void> {
  if (letters.length === 0) return;
  await deps.guard(
    deps.producer.send({ topic: deps.deadLetterTopic, messages: letters.map(toDeadLetterMessage), acks: -1 }),
  );
  await insertRows(deps, 'dead_letters_v1', letters.map(toDeadLetterRow), `${token}:dead_letters_v1`);
}
