import { type ClickHouse, isMissingTable } from '@dossier/clickhouse';
import { DEAD_LETTERS_TABLE, type DeadLetterRow } from './letter.ts';
import { type DeadLetterKeys, type OriginalMessage, open, positionOf, seal } from './seal.ts';

/** dead_letters_v1 (migration 0007) kept the payload in plain base64; it is sealed into v2, then dropped. */
const LEGACY_TABLE = 'dead_letters_v1';
const CHUNK = 500;

interface LegacyRow {
  source_topic: string;
  source_partition: number | string;
  source_offset: number | string;
  message_key_base64: string | null;
  value_base64: string;
  value_bytes: number | string;
  headers_json: string;
  reason_code: string;
  reason_text: string;
  message_timestamp: string;
  rejected_at: string;
}

type StoredRow = Omit<DeadLetterRow, 'source_partition' | 'source_offset'> & {
  source_partition: number | string;
  source_offset: number | string;
  rejected_at: string;
};

async function rows<T>(clickhouse: Pick<ClickHouse, 'query'>, query: string, params = {}): Promise<T[]> {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

async function tableExists(clickhouse: Pick<ClickHouse, 'query'>, table: string): Promise<boolean> {
  const found = await rows<{ n: number | string }>(
    clickhouse,
    'SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
    { table },
  );
  return Number(found[0]?.n ?? 0) > 0;
}

function legacyMessage(row: LegacyRow): OriginalMessage {
  // v1 kept headers as UTF-8 text only; their exact bytes were never stored.
  const headers = Object.entries(JSON.parse(row.headers_json || '{}') as Record<string, string>).map(
    ([name, value]): [string, Buffer] => [name, Buffer.from(value, 'utf8')],
  );
  return {
    key: row.message_key_base64 === null ? null : Buffer.from(row.message_key_base64, 'base64'),
    value: Buffer.from(row.value_base64, 'base64'),
    headers,
  };
}

export interface SealReport {
  /** Plaintext rows of dead_letters_v1 sealed into dead_letters_v2 (the old table is then dropped). */
  legacy: number;
  /** Rows sealed under a previous key and sealed again under the current one. */
  resealed: number;
}

/**
 * Brings every stored dead letter under the current key, at start, before any letter is written:
 * legacy plaintext rows are sealed into dead_letters_v2 and dead_letters_v1 is dropped; rows sealed
 * under a previous key are sealed again (then merged away, so the old ciphertext does not linger).
 * Crash-safe: the copy is keyed by source position (ReplacingMergeTree), the drop comes last, and a
 * rerun repeats whatever was left.
 */
export async function sealLegacyDeadLetters(
  clickhouse: Pick<ClickHouse, 'query' | 'insert' | 'command'>,
  keys: DeadLetterKeys,
): Promise<SealReport> {
  const report: SealReport = { legacy: 0, resealed: 0 };
  if (await tableExists(clickhouse, LEGACY_TABLE)) {
    for (let offset = 0; ; offset += CHUNK) {
      // Instances starting together (two ingestors, the all-in-one's replay) may both see the table: the
      // one that finishes first drops it, which it does only after the whole copy, so gone means done.
      const chunk = await rows<LegacyRow>(
        clickhouse,
        `SELECT * FROM ${LEGACY_TABLE} FINAL ORDER BY source_topic, source_partition, source_offset
          LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
        { limit: CHUNK, offset },
      ).catch((err: unknown) => {
        if (isMissingTable(err)) return [];
        throw err;
      });
      if (chunk.length === 0) break;
      await insert(
        clickhouse,
        chunk.map((r) => ({
          source_topic: r.source_topic,
          source_partition: r.source_partition,
          source_offset: r.source_offset,
          reason_code: r.reason_code,
          reason_text: r.reason_text,
          value_bytes: Number(r.value_bytes),
          key_bytes: r.message_key_base64 === null ? 0 : Buffer.from(r.message_key_base64, 'base64').length,
          message_timestamp: r.message_timestamp,
          rejected_at: r.rejected_at,
          topic_record: 'copy',
          topic_note: 'sealed from dead_letters_v1',
          payload_key_id: keys.current.id,
          payload_sealed: seal(
            keys.current,
            positionOf(r.source_topic, r.source_partition, r.source_offset),
            legacyMessage(r),
          ),
        })),
      );
      report.legacy += chunk.length;
    }
    await clickhouse.command({ query: `DROP TABLE IF EXISTS ${LEGACY_TABLE} SYNC` });
  }
  const previous = keys.previous.map((k) => k.id);
  if (previous.length > 0) {
    for (;;) {
      const chunk = await rows<StoredRow>(
        clickhouse,
        `SELECT * FROM ${DEAD_LETTERS_TABLE} FINAL WHERE payload_key_id IN {ids:Array(String)}
          ORDER BY source_topic, source_partition, source_offset LIMIT {limit:UInt32}`,
        { ids: previous, limit: CHUNK },
      );
      if (chunk.length === 0) break;
      await insert(
        clickhouse,
        chunk.map((r) => {
          const position = positionOf(r.source_topic, r.source_partition, r.source_offset);
          const original = open(keys, r.payload_key_id, position, r.payload_sealed);
          return {
            ...r,
            payload_key_id: keys.current.id,
            payload_sealed: seal(keys.current, position, original),
          };
        }),
      );
      report.resealed += chunk.length;
    }
    if (report.resealed > 0)
      await clickhouse.command({ query: `OPTIMIZE TABLE ${DEAD_LETTERS_TABLE} FINAL` });
  }
  return report;
}

async function insert(clickhouse: Pick<ClickHouse, 'insert'>, values: object[]): Promise<void> {
  await clickhouse.insert({ table: DEAD_LETTERS_TABLE, values, format: 'JSONEachRow' });
}
