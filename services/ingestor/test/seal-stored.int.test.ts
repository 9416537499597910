// Databases written before dead letters were sealed keep plaintext payloads in dead_letters_v1; the
// ingestor's start seals them into dead_letters_v2 and drops the old table. A key rotation re-seals.
import { loadMigrations } from '@dossier/clickhouse';
import { deadLetterKeys, open, positionOf } from '@dossier/dead-letters';
import { createLogger } from '@dossier/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { sealStoredDeadLetters } from '../src/start-ingestor.ts';

const OLD_KEY = '5a'.repeat(32);
const NEW_KEY = '6b'.repeat(32);
const logger = createLogger({ service: 'test', level: 'silent' });

describe('sealing stored dead letters at start', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await createTestClickHouse();
  });
  afterAll(async () => {
    await ch?.close();
  });

  async function rows<T>(query: string): Promise<T[]> {
    return (await ch.clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  it('seals legacy plaintext rows, drops dead_letters_v1, and re-seals under a rotated key', async () => {
    const value = Buffer.from('{"ChuHoSo":"Trần Thị Bình","SoGiayToChuHoSo":"001122334455"');
    await ch.clickhouse.insert({
      table: 'dead_letters_v1',
      values: [
        {
          source_topic: 'dossier.dvcqg-sync.v1',
          source_partition: 2,
          source_offset: 41,
          message_key_base64: Buffer.from('H29.1-250101-1').toString('base64'),
          value_base64: value.toString('base64'),
          value_bytes: value.length,
          headers_json: JSON.stringify({ trace: 'abc' }),
          reason_code: 'invalid_json',
          reason_text: '(message): not valid JSON (truncated or malformed); expected a JSON object',
          message_timestamp: '2026-01-01 00:00:00.000',
        },
      ],
      format: 'JSONEachRow',
    });

    await sealStoredDeadLetters(
      ch.clickhouse,
      { DEAD_LETTER_KEY: OLD_KEY, DEAD_LETTER_PREVIOUS_KEYS: [] },
      logger,
    );
    expect(await rows(`SELECT name FROM system.tables WHERE name = 'dead_letters_v1'`)).toEqual([]);
    type Row = { payload_key_id: string; payload_sealed: string; reason_code: string; value_bytes: number };
    const [sealed] = await rows<Row>('SELECT * FROM dead_letters_v2 FINAL');
    expect(sealed?.reason_code).toBe('invalid_json');
    expect(sealed?.value_bytes).toBe(value.length);
    expect(sealed?.payload_sealed).not.toContain(value.toString('base64').slice(0, 20));
    const position = positionOf('dossier.dvcqg-sync.v1', 2, 41);
    const opened = open(deadLetterKeys(OLD_KEY), sealed!.payload_key_id, position, sealed!.payload_sealed);
    expect(opened.value).toEqual(value);
    expect(opened.key?.toString()).toBe('H29.1-250101-1');
    expect(opened.headers).toEqual([['trace', Buffer.from('abc')]]);

    // A second start finds nothing left to do; a rotation seals again under the new key.
    await sealStoredDeadLetters(
      ch.clickhouse,
      { DEAD_LETTER_KEY: OLD_KEY, DEAD_LETTER_PREVIOUS_KEYS: [] },
      logger,
    );
    await sealStoredDeadLetters(
      ch.clickhouse,
      { DEAD_LETTER_KEY: NEW_KEY, DEAD_LETTER_PREVIOUS_KEYS: [OLD_KEY] },
      logger,
    );
    const all = await rows<Row>('SELECT * FROM dead_letters_v2');
    const keys = deadLetterKeys(NEW_KEY);
    expect(all.map((r) => r.payload_key_id)).toEqual([keys.current.id]);
    expect(open(keys, keys.current.id, position, all[0]!.payload_sealed).value).toEqual(value);
  });

  it('lets instances that start together both succeed when one drops dead_letters_v1 under the other', async () => {
    // As migration 0007 created it (the first case dropped it), from the file itself.
    const created = (await loadMigrations()).find((m) => m.version === 7);
    expect(created?.name).toBe('0007_create_dead_letters.sql');
    await ch.clickhouse.command({ query: created!.sql });
    const value = Buffer.from('{"late":"letter"}');
    await ch.clickhouse.insert({
      table: 'dead_letters_v1',
      values: [
        {
          source_topic: 'dossier.events.v1',
          source_partition: 0,
          source_offset: 7,
          message_key_base64: null,
          value_base64: value.toString('base64'),
          value_bytes: value.length,
          headers_json: '{}',
          reason_code: 'invalid_json',
          reason_text: 'not JSON',
          message_timestamp: '2026-01-01 00:00:00.000',
        },
      ],
      format: 'JSONEachRow',
    });
    const config = { DEAD_LETTER_KEY: NEW_KEY, DEAD_LETTER_PREVIOUS_KEYS: [] };
    // The second instance saw the table, then the first copied everything and dropped it before the
    // second read its first chunk.
    let other: Promise<void> | undefined;
    const second = new Proxy(ch.clickhouse, {
      get(target, name, receiver) {
        if (name !== 'query') return Reflect.get(target, name, receiver);
        return async (params: { query: string }) => {
          if (params.query.includes('FROM dead_letters_v1 FINAL') && !other) {
            other = sealStoredDeadLetters(ch.clickhouse, config, logger);
            await other;
          }
          return target.query(params as Parameters<typeof target.query>[0]);
        };
      },
    });
    await sealStoredDeadLetters(second, config, logger);
    expect(other).toBeDefined();
    expect(await rows(`SELECT name FROM system.tables WHERE name = 'dead_letters_v1'`)).toEqual([]);
    const copied = await rows<{ n: string }>(
      `SELECT toString(count()) AS n FROM dead_letters_v2 FINAL WHERE source_topic = 'dossier.events.v1'`,
    );
    expect(copied).toEqual([{ n: '1' }]);
  });
});
