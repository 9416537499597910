import { loadMigrations, migrate } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';

describe('clickhouse through @clickhouse/client', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await createTestClickHouse();
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('inserts rows and reads them back with query parameters', async () => {
    const { clickhouse } = ch;
    await clickhouse.command({
      query:
        'CREATE TABLE probe (agency String, n UInt32, at DateTime) ENGINE = MergeTree ORDER BY (agency, at)',
    });
    await clickhouse.insert({
      table: 'probe',
      format: 'JSONEachRow',
      values: [
        { agency: 'SO-TP', n: 1, at: '2025-01-02 03:04:05' },
        { agency: 'SO-TP', n: 2, at: '2025-01-02 03:04:06' },
        { agency: "UBND-Q1'; DROP TABLE probe; --", n: 5, at: '2025-01-03 00:00:00' },
      ],
    });
    const result = await clickhouse.query({
      query:
        'SELECT agency, toUInt32(sum(n)) AS total, toUInt32(count()) AS rows FROM probe WHERE agency = {agency:String} GROUP BY agency',
      query_params: { agency: 'SO-TP' },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ agency: 'SO-TP', total: 3, rows: 2 }]);

    const hostile = await clickhouse.query({
      query: 'SELECT n FROM probe WHERE agency = {agency:String}',
      query_params: { agency: "UBND-Q1'; DROP TABLE probe; --" },
      format: 'JSONEachRow',
    });
    expect(await hostile.json()).toEqual([{ n: 5 }]);
  });

  it('applied every migration exactly once', async () => {
    const { clickhouse } = ch;
    const expected = (await loadMigrations()).map((m) => ({ version: m.version, name: m.name }));
    expect(expected.length).toBeGreaterThan(0);
    expect(await migrate(clickhouse)).toEqual([]); // a second run applies nothing
    const rows = await clickhouse.query({
      query:
        'SELECT version, name, toUInt32(count()) AS times FROM schema_migrations FINAL GROUP BY version, name ORDER BY version',
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual(expected.map((m) => ({ ...m, times: 1 })));
  });

  it('reports ClickHouse errors with their code', async () => {
    await expect(ch.clickhouse.query({ query: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({
      code: '60',
    });
  });
});
