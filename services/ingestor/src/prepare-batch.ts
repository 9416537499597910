import {
  type AgencyRow,
  type DossierEventRow,
  type Index766ExternalRow,
  type NormalizeOptions,
  normalizeMessage,
  type ProcedureRow,
  type RawMessage,
  type Rejection,
} from '@dossier/schemas';
import type { KafkaMessage } from 'kafkajs';

export type TableName = 'dossier_events_v1' | 'procedures_v1' | 'agencies_v1' | 'index766_external_v1';
export type Row = DossierEventRow | ProcedureRow | AgencyRow | Index766ExternalRow;

/** A normalized row and the index of the message it came from (to dead-letter that message if needed). */
export interface Entry {
  row: Row;
  messageIndex: number;
}

export interface RejectedMessage {
  message: KafkaMessage;
  rejection: Rejection;
}

export interface PreparedBatch {
  topic: string;
  partition: number;
  /** `topic:partition:first-last`: the batch's identity, base of every insert deduplication token. */
  tokenBase: string;
  /** Rows per table, in offset order; tables appear in a fixed order so retries insert identically. */
  tables: { table: TableName; entries: Entry[] }[];
  rejected: RejectedMessage[];
  messageCount: number;
}

const TABLE_ORDER: readonly TableName[] = [
  'dossier_events_v1',
  'procedures_v1',
  'agencies_v1',
  'index766_external_v1',
];

/** kafkajs header values may be Buffers or lists; the normalizer sees UTF-8 text (last value wins). */
export function headersAsText(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export function toRawMessage(topic: string, partition: number, message: KafkaMessage): RawMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key,
    value: message.value,
    headers: headersAsText(message.headers),
  };
}

/**
 * Normalizes every message of one partition's batch (pure: no I/O). Rows are grouped per table so
 * the caller makes one insert per table; rejected messages keep their original bytes for the dead letters.
 */
export function prepareBatch(
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  options: NormalizeOptions,
): PreparedBatch {
  const { topic, partition, messages } = batch;
  const byTable = new Map<TableName, Entry[]>();
  const rejected: RejectedMessage[] = [];
  messages.forEach((message, messageIndex) => {
    const result = normalizeMessage(toRawMessage(topic, partition, message), options);
    if (!result.ok) {
      rejected.push({ message, rejection: result.rejection });
      return;
    }
    const { table, rows } = result.output;
    let entries = byTable.get(table);
    if (!entries) {
      entries = [];
      byTable.set(table, entries);
    }
    for (const row of rows) entries.push({ row, messageIndex });
  });
  const first = messages[0]?.offset ?? '';
  const last = messages[messages.length - 1]?.offset ?? '';
  return {
    topic,
    partition,
    tokenBase: `${topic}:${partition}:${first}-${last}`,
    tables: TABLE_ORDER.flatMap((table) => {
      const entries = byTable.get(table);
      return entries && entries.length > 0 ? [{ table, entries }] : [];
    }),
    rejected,
    messageCount: messages.length,
  };
}
