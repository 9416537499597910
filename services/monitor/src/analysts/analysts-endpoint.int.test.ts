import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { type ClickHouseClient, ClickHouseError, createClient } from '@clickhouse/client';
import { type ClickHouse, createClickHouse } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../../test/support/clickhouse.ts';
import { type AnalystsEndpoint, startAnalystsEndpoint } from './analysts-endpoint.ts';
import { AnalystsConfig } from './config.ts';

const run = promisify(execFile);
const logger = createLogger({ service: 'monitor', level: 'silent' });

/** curl as an analyst would type it; returns status, headers and the raw body. */
async function curl(args: string[]) {
  const { stdout } = await run('curl', ['-sS', '-D', '-', '-o', '-', ...args], {
    encoding: 'buffer',
    maxBuffer: 1 << 24,
  });
  const text = stdout.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
  );
  return { status, headers, body: stdout.subarray(Buffer.byteLength(head, 'latin1') + 4) };
}

describe('analysts endpoint: ClickHouse HTTP interface over the embedded engine', () => {
  let store: TestClickHouse;
  let readOnly: ClickHouse;
  let endpoint: AnalystsEndpoint;
  let secured: AnalystsEndpoint;
  let base: string;
  let client: ClickHouseClient;
  const registry = new Registry();

  beforeAll(async () => {
    store = await createTestClickHouse();
    await store.clickhouse.insert({
      table: 'agencies_v1',
      values: [
        {
          agency_code: 'H29.01',
          name: 'Sở Tư pháp',
          admin_level: 'province',
          parent_code: null,
          valid_from: '2020-01-01',
          valid_to: null,
          version: 1,
        },
        {
          agency_code: 'H29.760',
          name: 'UBND Quận 1',
          admin_level: 'district',
          parent_code: null,
          valid_from: '2020-01-01',
          valid_to: '2025-07-01',
          version: 1,
        },
      ],
      format: 'JSONEachRow',
    });
    // A second session on the same data: the one the endpoint locks read-only.
    readOnly = await createClickHouse({ url: store.url });
    const config = AnalystsConfig.parse({ ANALYSTS_PORT: '0', ANALYSTS_MAX_RESULT_ROWS: '1000' });
    endpoint = await startAnalystsEndpoint({ config, clickhouse: readOnly, logger, registry });
    secured = await startAnalystsEndpoint({
      config: { ...config, ANALYSTS_USER: 'analyst', ANALYSTS_PASSWORD: 's3cret-pass' },
      clickhouse: readOnly,
      logger,
      registry: new Registry(),
    });
    base = `http://127.0.0.1:${endpoint.port}`;
    client = createClient({ url: base });
  });

  afterAll(async () => {
    await client?.close();
    await endpoint?.stop();
    await secured?.stop();
    await readOnly?.close();
    await store?.close();
  });

  it('answers @clickhouse/client queries with parameters in JSON formats', async () => {
    const rows = await client.query({
      query:
        'SELECT agency_code, admin_level FROM agencies_v1 WHERE admin_level = {level:String} ORDER BY agency_code',
      query_params: { level: 'district' },
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([{ agency_code: 'H29.760', admin_level: 'district' }]);
    const json = await client.query({ query: 'SELECT count() AS n FROM agencies_v1', format: 'JSON' });
    const body = await json.json<{ n: string | number }>();
    // 64-bit integers are quoted or not depending on the engine's output_format_json_quote_64bit_integers.
    expect(body.data.map((r) => Number(r.n))).toEqual([2]);
    expect(body.meta).toEqual([{ name: 'n', type: 'UInt64' }]);
    expect((await client.ping()).success).toBe(true);
  });

  it('refuses writes, DDL and lifting settings with the engine’s READONLY error', async () => {
    const attempts = [
      client.command({
        query:
          "INSERT INTO agencies_v1 (agency_code, name, admin_level, valid_from, version) VALUES ('X', 'x', 'province', '2025-01-01', 1)",
      }),
      client.command({ query: 'CREATE TABLE t_evil (a UInt8) ENGINE = Memory' }),
      client.command({ query: 'DROP TABLE agencies_v1' }),
      client.query({ query: 'SELECT 1 SETTINGS readonly = 0' }),
      client.query({ query: 'SELECT 1', clickhouse_settings: { max_result_rows: '0' } }),
    ];
    for (const attempt of attempts) {
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClickHouseError);
      expect((err as ClickHouseError).code).toBe('164');
      expect((err as ClickHouseError).type).toBe('READONLY');
    }
    // The writers' session is not affected by the endpoint's lock.
    await store.clickhouse.command({
      query:
        "INSERT INTO agencies_v1 (agency_code, name, admin_level, valid_from, version) VALUES ('H29.02', 'Sở Xây dựng', 'province', '2020-01-01', 1)",
    });
    const n = await client.query({
      query: 'SELECT toUInt32(count()) AS n FROM agencies_v1',
      format: 'JSONEachRow',
    });
    expect(await n.json()).toEqual([{ n: 3 }]);
    const counted = await registry.getSingleMetricAsString('monitor_analyst_queries_total');
    expect(Number(/outcome="rejected"} (\d+)/.exec(counted)?.[1])).toBeGreaterThanOrEqual(attempts.length);
  });

  it('speaks plain curl: GET, POST with a FORMAT clause, /ping, default_format, database and param_*', async () => {
    const ping = await curl([`${base}/ping`]);
    expect(ping.body.toString()).toBe('Ok.\n');
    const get = await curl([`${base}/?query=${encodeURIComponent('SELECT 1, 2')}`]);
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('1\t2\n');
    expect(get.headers['x-clickhouse-format']).toBe('TabSeparated');
    expect(JSON.parse(get.headers['x-clickhouse-summary'] ?? '{}')).toHaveProperty('read_rows');
    const post = await curl([
      '--data-binary',
      'SELECT name FROM agencies_v1 WHERE agency_code = {c:String} FORMAT JSONEachRow',
      `${base}/?param_c=H29.01&query_id=q-42`,
    ]);
    expect(post.body.toString()).toBe('{"name":"Sở Tư pháp"}\n');
    expect(post.headers['x-clickhouse-format']).toBe('JSONEachRow');
    expect(post.headers['x-clickhouse-query-id']).toBe('q-42');
    const csv = await curl([
      '--data-binary',
      'SELECT currentDatabase()',
      `${base}/?default_format=CSV&database=system`,
    ]);
    expect(csv.body.toString()).toBe('"system"\n');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('reports errors like ClickHouse: status, Code: N. DB::Exception body and exception header', async () => {
    const missing = await curl(['--data-binary', 'SELECT * FROM no_such_table', `${base}/`]);
    expect(missing.status).toBe(404);
    expect(missing.headers['x-clickhouse-exception-code']).toBe('60');
    expect(missing.body.toString()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/);
    const syntax = await curl(['--data-binary', 'SELEC 1', `${base}/`]);
    expect(syntax.status).toBe(400);
    expect(syntax.headers['x-clickhouse-exception-code']).toBe('62');
    const multi = await curl(['--data-binary', 'SELECT 1; SELECT 2', `${base}/`]);
    expect(multi.headers['x-clickhouse-exception-code']).toBe('62');
    expect(multi.body.toString()).toContain('Multi-statements are not allowed');
    const write = await curl([
      '--data-binary',
      "INSERT INTO agencies_v1 (agency_code) VALUES ('Y')",
      `${base}/`,
    ]);
    expect(write.headers['x-clickhouse-exception-code']).toBe('164');
    expect(write.body.toString()).toMatch(/^Code: 164\. DB::Exception: .*readonly mode.*\(READONLY\)/);
    const lift = await curl([`${base}/?readonly=0&query=SELECT%201`]);
    expect(lift.headers['x-clickhouse-exception-code']).toBe('164');
  });

  it('enforces the result size limit in the engine', async () => {
    const big = await curl([`${base}/?query=${encodeURIComponent('SELECT number FROM numbers(5000)')}`]);
    expect(big.status).toBe(500);
    expect(big.headers['x-clickhouse-exception-code']).toBe('396');
  });

  it('compresses with gzip when asked by both Accept-Encoding and enable_http_compression=1', async () => {
    const url = `${base}/?enable_http_compression=1&query=${encodeURIComponent('SELECT number FROM numbers(100) FORMAT CSV')}`;
    const zipped = await curl(['-H', 'Accept-Encoding: gzip', url]);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect([...zipped.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(zipped.body).toString().split('\n')[99]).toBe('99');
    const plain = await curl(['-H', 'Accept-Encoding: gzip', url.replace('enable_http_compression=1&', '')]);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const compressing = createClient({ url: base, compression: { response: true, request: true } });
    try {
      const rs = await compressing.query({
        query: 'SELECT toUInt32(sum(number)) AS s FROM numbers(10)',
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ s: 45 }]);
    } finally {
      await compressing.close();
    }
  });

  it('asks for a password when one is configured: Basic auth, X-ClickHouse headers or URL parameters', async () => {
    const url = `http://127.0.0.1:${secured.port}`;
    const none = await curl([`${url}/?query=SELECT%201`]);
    expect(none.status).toBe(401);
    const wrong = await curl(['-u', 'analyst:nope', `${url}/?query=SELECT%201`]);
    expect(wrong.status).toBe(403);
    expect(wrong.headers['x-clickhouse-exception-code']).toBe('516');
    expect((await curl(['-u', 'analyst:s3cret-pass', `${url}/?query=SELECT%201`])).body.toString()).toBe(
      '1\n',
    );
    const headers = await curl([
      '-H',
      'X-ClickHouse-User: analyst',
      '-H',
      'X-ClickHouse-Key: s3cret-pass',
      `${url}/?query=SELECT%202`,
    ]);
    expect(headers.body.toString()).toBe('2\n');
    const params = await curl([`${url}/?user=analyst&password=s3cret-pass&query=SELECT%203`]);
    expect(params.body.toString()).toBe('3\n');
    const authed = createClient({ url, username: 'analyst', password: 's3cret-pass' });
    try {
      expect(await (await authed.query({ query: 'SELECT 4 AS x', format: 'JSONEachRow' })).json()).toEqual([
        { x: 4 },
      ]);
    } finally {
      await authed.close();
    }
  });
});
