import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createClickHouse, loadMigrations, migrate } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseHttpStandIn, startClickHouseHttpStandIn } from './clickhouse-http-standin.ts';

describe('the writable ClickHouse HTTP stand-in (test fixture over chDB)', () => {
  let standIn: ClickHouseHttpStandIn;
  let client: ClickHouseClient;

  beforeAll(async () => {
    standIn = await startClickHouseHttpStandIn();
    client = createClient({ url: standIn.url, compression: { request: true, response: true } });
    await client.command({
      query: 'CREATE TABLE probe (id UInt32, agency String, note String) ENGINE = MergeTree ORDER BY id',
    });
  });
  afterAll(async () => {
    await client?.close();
    await standIn?.stop();
  });

  it('answers ping and reports the embedded engine as its version', async () => {
    expect((await client.ping()).success).toBe(true);
    const version = await (
      await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
    ).json();
    expect(version).toEqual([{ v: expect.stringMatching(/^\d+\.\d+\./) }]);
  });

  it('takes compressed inserts of many rows and reads them back with query parameters', async () => {
    const values = Array.from({ length: 50_000 }, (_, i) => ({
      id: i,
      agency: i % 2 === 0 ? 'SO-TP' : "UBND'; DROP TABLE probe; --",
      note: 'x'.repeat(100),
    }));
    await client.insert({ table: 'probe', values, format: 'JSONEachRow' });
    const rows = await client.query({
      query:
        'SELECT agency, toUInt32(count()) AS n FROM probe WHERE agency = {agency:String} GROUP BY agency',
      query_params: { agency: "UBND'; DROP TABLE probe; --" },
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([{ agency: "UBND'; DROP TABLE probe; --", n: 25_000 }]);
  });

  it('keeps settings to the call that sent them', async () => {
    const limited = client.query({
      query: 'SELECT number FROM numbers(10)',
      format: 'JSONEachRow',
      clickhouse_settings: { max_result_rows: '3', result_overflow_mode: 'throw' },
    });
    await expect(limited).rejects.toMatchObject({ code: '396' });
    const after = await client.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow' });
    expect(await after.json()).toHaveLength(10);
    const setting = await client.query({
      query: "SELECT value FROM system.settings WHERE name = 'max_result_rows'",
      format: 'JSONEachRow',
    });
    expect(await setting.json()).toEqual([{ value: '0' }]);
  });

  it('echoes the query id and returns ClickHouse error codes and texts', async () => {
    const result = await client.query({
      query: 'SELECT 1',
      query_id: 'standin-probe-1',
      format: 'JSONEachRow',
    });
    expect(result.query_id).toBe('standin-probe-1');
    await result.close();
    await expect(client.query({ query: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    await expect(client.command({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62' });
    const response = await fetch(
      `${standIn.url}/?query=${encodeURIComponent('SELECT * FROM no_such_table')}`,
    );
    expect(response.status).toBe(404);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await response.text()).toMatch(/^Code: 60\. DB::Exception: .*UNKNOWN_TABLE/);
  });

  it('runs concurrent writers one statement at a time without losing rows', async () => {
    await client.command({
      query: 'CREATE TABLE burst (w UInt8, i UInt32) ENGINE = MergeTree ORDER BY (w, i)',
    });
    const writers = Array.from({ length: 4 }, (_, w) =>
      createClient({ url: standIn.url, compression: { request: w % 2 === 0, response: w % 2 === 1 } }),
    );
    try {
      await Promise.all(
        writers.flatMap((writer, w) =>
          Array.from({ length: 5 }, (_, batch) =>
            writer.insert({
              table: 'burst',
              values: Array.from({ length: 1000 }, (_, i) => ({ w, i: batch * 1000 + i })),
              format: 'JSONEachRow',
            }),
          ),
        ),
      );
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
    const counts = await client.query({
      query: 'SELECT w, toUInt32(uniqExact(i)) AS n FROM burst GROUP BY w ORDER BY w',
      format: 'JSONEachRow',
    });
    expect(await counts.json()).toEqual([0, 1, 2, 3].map((w) => ({ w, n: 5000 })));
  });

  it('refuses HTTP sessions with a clear error instead of ignoring them', async () => {
    const withSession = createClient({ url: standIn.url, session_id: 'standin-session' });
    try {
      await expect(withSession.query({ query: 'SELECT 1' })).rejects.toThrow(/session_id/);
    } finally {
      await withSession.close();
    }
  });

  it("applies the project's migrations through createClickHouse, as a server would take them", async () => {
    await client.command({ query: 'CREATE DATABASE pipeline' });
    const pipeline = await createClickHouse({ url: `${standIn.url}/pipeline` });
    try {
      await migrate(pipeline);
      expect(await migrate(pipeline)).toEqual([]);
      const recorded = await pipeline.query({
        query: 'SELECT toUInt32(count()) AS n FROM schema_migrations FINAL',
        format: 'JSONEachRow',
      });
      expect(await recorded.json()).toEqual([{ n: (await loadMigrations()).length }]);
      const tables = await pipeline.query({
        query: "SELECT name FROM system.tables WHERE database = 'pipeline' AND name = 'kpi_latest'",
        format: 'JSONEachRow',
      });
      expect(await tables.json()).toEqual([{ name: 'kpi_latest' }]);
    } finally {
      await pipeline.close();
    }
  });
});
