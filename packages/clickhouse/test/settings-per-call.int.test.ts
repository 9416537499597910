import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

async function setting(name: string): Promise<string> {
  const result = await ch.clickhouse.query({
    query: 'SELECT toString(getSetting({name:String})) AS v',
    query_params: { name },
    format: 'JSONEachRow',
  });
  return (await result.json<{ v: string }>())[0]?.v ?? '';
}

describe('settings given to one call', () => {
  it('do not outlive the call', async () => {
    const limited = await ch.clickhouse.query({
      query: "SELECT toString(getSetting('max_result_rows')) AS v",
      format: 'JSONEachRow',
      clickhouse_settings: { max_result_rows: '5', readonly: '1' },
    });
    expect(await limited.json()).toEqual([{ v: '5' }]);
    expect(await setting('max_result_rows')).toBe('0');
    expect(await setting('readonly')).toBe('0');
  });

  it('keep an insert deduplication token from swallowing later inserts', async () => {
    await ch.clickhouse.command({
      query: `CREATE TABLE dedup_probe (n UInt32) ENGINE = MergeTree ORDER BY n
              SETTINGS non_replicated_deduplication_window = 100`,
    });
    const insert = (n: number, token?: string) =>
      ch.clickhouse.insert({
        table: 'dedup_probe',
        values: [{ n }],
        format: 'JSONEachRow',
        clickhouse_settings: token ? { insert_deduplication_token: token } : {},
      });
    await insert(1, 'batch-1');
    await insert(1, 'batch-1');
    await insert(2);
    await insert(3);
    const result = await ch.clickhouse.query({
      query: 'SELECT groupArray(n) AS ns FROM (SELECT n FROM dedup_probe ORDER BY n)',
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ ns: [1, 2, 3] }]);
  });

  it('keep a read-only query from making later writes fail', async () => {
    await ch.clickhouse.command({ query: 'CREATE TABLE ro_probe (n UInt32) ENGINE = MergeTree ORDER BY n' });
    await expect(
      ch.clickhouse.command({
        query: 'INSERT INTO ro_probe VALUES (1)',
        clickhouse_settings: { readonly: '1' },
      }),
    ).rejects.toMatchObject({ code: '164' });
    await ch.clickhouse.command({ query: 'INSERT INTO ro_probe VALUES (2)' });
    const result = await ch.clickhouse.query({
      query: 'SELECT sum(n) AS s FROM ro_probe',
      format: 'JSONEachRow',
    });
    expect(Number((await result.json<{ s: number | string }>())[0]?.s)).toBe(2);
  });
});
