import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { type ClickHouseClient, ClickHouseError, createClient } from '@clickhouse/client';
import { openEmbeddedEngine } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressFrameSync } from 'lz4-napi';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../../test/support/clickhouse.ts';
import { curl } from '../../../../test/support/curl.ts';
import { runJdbcChecks } from '../../../../test/support/jdbc.ts';
import { type AnalystsEndpoint, startAnalystsEndpoint } from '../../src/analysts/analysts-endpoint.ts';
import { AnalystsConfig } from '../../src/analysts/config.ts';

const run = promisify(execFile);
const logger = createLogger({ service: 'monitor', level: 'silent' });

/** A month of city KPI values, as the aggregator writes them. */
function kpiRows() {
  return ['2026-01-01', '2026-02-01', '2026-03-01'].map((month, i) => ({
    kpi: 'online_resolution_rate',
    scope_kind: 'city',
    scope_code: 'H29',
    period_kind: 'month',
    period_start: month,
    numerator: 50 + i,
    denominator: 100,
    value: (50 + i) / 100,
    target: 0.8,
    target_met: 0,
    score: null,
    max_score: null,
    computed_at: '2026-04-01 00:00:00.000',
    run_id: 'clients-test',
  }));
}

/** What every client must manage against the endpoint, through the client's own API. */
async function clientChecks(client: ClickHouseClient) {
  const version = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{
    v: string;
  }>();
  const columns = await (
    await client.query({
      query:
        'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}',
      query_params: { t: 'kpi_latest' },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; type: string }>();
  const months = await (
    await client.query({
      query:
        'SELECT period_start, value FROM kpi_latest WHERE kpi = {kpi:String} AND period_kind = {kind:String} ORDER BY period_start',
      query_params: { kpi: 'online_resolution_rate', kind: 'month' },
      format: 'JSONEachRow',
    })
  ).json<{ period_start: string; value: number }>();
  let rows = 0;
  let sum = 0;
  const large = await client.query({
    query: 'SELECT number FROM numbers(1000000)',
    format: 'JSONCompactEachRow',
  });
  for await (const batch of large.stream<[number]>()) {
    for (const row of batch) {
      rows++;
      sum += Number(row.json()[0]);
    }
  }
  const insert = await client.command({ query: "INSERT INTO kpi_values_v1 (kpi) VALUES ('forged')" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { version: version[0]?.v, columns: columns.map((c) => c.name), months, rows, sum, insert };
}

describe('analysts endpoint with the clients analysts use, on their default settings', () => {
  let store: TestClickHouse;
  let endpoint: AnalystsEndpoint;
  let base: string;

  beforeAll(async () => {
    store = await createTestClickHouse({ embedded: true });
    await store.clickhouse.insert({ table: 'kpi_values_v1', values: kpiRows(), format: 'JSONEachRow' });
    endpoint = await startAnalystsEndpoint({
      config: AnalystsConfig.parse({ ANALYSTS_PORT: '0' }),
      engine: await openEmbeddedEngine(store.url),
      logger,
      registry: new Registry(),
    });
    base = `http://127.0.0.1:${endpoint.port}`;
  });

  afterAll(async () => {
    await endpoint?.stop();
    await store?.close();
  });

  it('serves the official JDBC driver (DBeaver, DataGrip) with the guide’s URL and no settings', async () => {
    const checks = await runJdbcChecks(`jdbc:clickhouse://127.0.0.1:${endpoint.port}/default`);
    expect(checks.get('version')).toMatchObject({ ok: true, value: expect.stringMatching(/^26\./) });
    const metadata = checks.get('metadata');
    expect(metadata?.tables).toContain('kpi_latest');
    expect(metadata?.kpiLatestColumns).toContain('value Nullable(Float64)');
    expect(checks.get('parameterized')?.rows).toEqual([
      'online_resolution_rate|H29|2026-01-01|0.5',
      'online_resolution_rate|H29|2026-02-01|0.51',
      'online_resolution_rate|H29|2026-03-01|0.52',
    ]);
    expect(checks.get('large')).toMatchObject({ ok: true, rows: 1_000_000, sum: 499_999_500_000 });
    expect(checks.get('insert')).toMatchObject({ ok: false, errorCode: 164 });
    expect(checks.get('insert')?.message).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\)/);
    expect(checks.get('unknown-table')).toMatchObject({ ok: false, errorCode: 60 });
  });

  it.each([
    ['without compression', undefined],
    ['with request and response compression', { response: true, request: true }],
  ])('serves @clickhouse/client %s', async (_name, compression) => {
    const client = createClient({ url: base, compression });
    try {
      const got = await clientChecks(client);
      expect(got.version).toMatch(/^26\./);
      expect(got.columns).toContain('period_start');
      expect(got.months.map((m) => [m.period_start, m.value])).toEqual([
        ['2026-01-01', 0.5],
        ['2026-02-01', 0.51],
        ['2026-03-01', 0.52],
      ]);
      expect([got.rows, got.sum]).toEqual([1_000_000, 499_999_500_000]);
      expect(got.insert).toBeInstanceOf(ClickHouseError);
      expect((got.insert as ClickHouseError).code).toBe('164');
    } finally {
      await client.close();
    }
  });

  it('encodes for curl with each Content-Encoding it offers, only when enable_http_compression=1', async () => {
    const query = encodeURIComponent('SELECT number FROM numbers(200000) FORMAT CSV');
    const expected = Array.from({ length: 200_000 }, (_, i) => `${i}\n`).join('');
    const decoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: gunzipSync,
      deflate: inflateSync,
      br: brotliDecompressSync,
      zstd: (b) => Buffer.from(zstdDecompress(b)),
      lz4: decompressFrameSync,
    };
    for (const [encoding, decode] of Object.entries(decoders)) {
      const { stdout } = await run(
        'curl',
        ['-sS', '-H', `Accept-Encoding: ${encoding}`, `${base}/?enable_http_compression=1&query=${query}`],
        { encoding: 'buffer', maxBuffer: 1 << 26 },
      );
      expect(decode(stdout).toString(), encoding).toBe(expected);
    }
    // curl's own decoders, for the encodings this curl build has.
    const { stdout: features } = await run('curl', ['-V']);
    for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
      if (
        encoding !== 'gzip' &&
        encoding !== 'deflate' &&
        !new RegExp(`\\b${encoding === 'br' ? 'brotli' : encoding}\\b`, 'i').test(features)
      )
        continue;
      const { stdout } = await run(
        'curl',
        [
          '-sS',
          '--compressed',
          '-H',
          `Accept-Encoding: ${encoding}`,
          `${base}/?enable_http_compression=1&query=${query}`,
        ],
        {
          maxBuffer: 1 << 26,
        },
      );
      expect(stdout, `curl --compressed ${encoding}`).toBe(expected);
    }
    const plain = await run('curl', [
      '-sS',
      '-D',
      '-',
      '-o',
      '/dev/null',
      '-H',
      'Accept-Encoding: gzip',
      `${base}/?query=${query}`,
    ]);
    expect(plain.stdout.toLowerCase()).not.toContain('content-encoding');
  });

  it('reads decompress=1 bodies framed by the engine itself (LZ4 and ZSTD blocks)', async () => {
    const sql = "SELECT 'framed by ClickHouse' AS said FORMAT TSV";
    for (const codec of ['LZ4', 'ZSTD(3)']) {
      // A FixedString column's file holds its bytes as they are, in the engine's compressed blocks.
      const table = `framed_${codec.slice(0, 3).toLowerCase()}`;
      await store.clickhouse.command({
        query: `CREATE TABLE ${table} (q FixedString(${Buffer.byteLength(sql)}) CODEC(${codec})) ENGINE = MergeTree ORDER BY tuple() SETTINGS min_bytes_for_wide_part = 0`,
      });
      await store.clickhouse.insert({ table, values: [{ q: sql }], format: 'JSONEachRow' });
      const [path] = await (
        await store.clickhouse.query({
          query: `SELECT path FROM system.parts WHERE table = {t:String} AND active`,
          query_params: { t: table },
          format: 'JSONEachRow',
        })
      ).json<{ path: string }>();
      const { stdout } = await run('curl', [
        '-sS',
        '--data-binary',
        `@${path?.path}q.bin`,
        `${base}/?decompress=1`,
      ]);
      expect(stdout, codec).toBe('framed by ClickHouse\n');
    }
  });

  it('reports a failure after the first rows the way ClickHouse 26 does: in the stream, tagged', async () => {
    const sql = 'SELECT number, throwIf(number = 300000) FROM numbers(1000000) FORMAT TSV';
    const streamed = await curl(['--data-binary', sql, `${base}/`]);
    expect(streamed.status).toBe(200);
    const tag = streamed.headers['x-clickhouse-exception-tag'] ?? '';
    expect(tag).toMatch(/^[a-z0-9]{16}$/);
    expect(streamed.body.toString()).toMatch(
      new RegExp(
        `\r\n__exception__\r\n${tag}\r\nCode: 395\\. DB::Exception: .*\n\\d+ ${tag}\r\n__exception__\r\n$`,
        's',
      ),
    );
    const client = createClient({ url: base });
    const err = await client
      .query({ query: sql.replace('FORMAT TSV', ''), format: 'JSONCompactEachRow', clickhouse_settings: {} })
      .then(async (rs) => {
        for await (const _ of rs.stream()) {
          // reading until the error
        }
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await client.close();
    expect((err as ClickHouseError).code).toBe('395');
    const waited = await curl(['--data-binary', sql, `${base}/?wait_end_of_query=1`]);
    expect([waited.status, waited.headers['x-clickhouse-exception-code']]).toEqual([500, '395']);
  });
});
