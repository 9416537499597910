import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type ClickHouseClient, ClickHouseError, createClient } from '@clickhouse/client';
import { openEmbeddedEngine } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../../test/support/clickhouse.ts';
import { curl } from '../../../../test/support/curl.ts';
import { type AnalystsEndpoint, startAnalystsEndpoint } from '../../src/analysts/analysts-endpoint.ts';
import { AnalystsConfig } from '../../src/analysts/config.ts';

const logger = createLogger({ service: 'monitor', level: 'silent' });

describe('analysts endpoint: ClickHouse HTTP interface over the embedded engine', () => {
  let store: TestClickHouse;
  let endpoint: AnalystsEndpoint;
  let secured: AnalystsEndpoint;
  let base: string;
  let client: ClickHouseClient;
  const registry = new Registry();

  beforeAll(async () => {
    store = await createTestClickHouse({ embedded: true });
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
    const engine = await openEmbeddedEngine(store.url);
    const config = AnalystsConfig.parse({ ANALYSTS_PORT: '0', ANALYSTS_MAX_RESULT_ROWS: '1000' });
    endpoint = await startAnalystsEndpoint({ config, engine, logger, registry });
    secured = await startAnalystsEndpoint({
      config: { ...config, ANALYSTS_USER: 'analyst', ANALYSTS_PASSWORD: 's3cret-pass' },
      engine,
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
      () =>
        client.command({
          query:
            "INSERT INTO agencies_v1 (agency_code, name, admin_level, valid_from, version) VALUES ('X', 'x', 'province', '2025-01-01', 1)",
        }),
      () => client.command({ query: 'CREATE TABLE t_evil (a UInt8) ENGINE = Memory' }),
      () => client.command({ query: 'DROP TABLE agencies_v1' }),
      () => client.query({ query: 'SELECT 1 SETTINGS readonly = 0' }),
      () => client.query({ query: 'SELECT 1', clickhouse_settings: { max_result_rows: '0' } }),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(
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

  it('refuses the escapes readonly=1 leaves open in the engine: SETTINGS … = DEFAULT and INTO OUTFILE', async () => {
    const escapes = [
      'SELECT 1 SETTINGS readonly = DEFAULT',
      "SELECT * FROM file('/etc/hostname', 'LineAsString') SETTINGS readonly = DEFAULT",
      'SELECT count() FROM numbers(10) SETTINGS max_result_rows = default',
      'SET readonly = DEFAULT',
      "SELECT 1 INTO OUTFILE '/tmp/analysts-outfile-test.txt'",
      "SELECT 1 /* comment */ INTO   OUTFILE '/tmp/analysts-outfile-test.txt' FORMAT CSV",
    ];
    for (const sql of escapes) {
      const r = await curl(['--data-binary', sql, `${base}/`]);
      expect(r.headers['x-clickhouse-exception-code'], sql).toBe('164');
      expect(r.body.toString(), sql).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\)/);
    }
    // The words inside a string literal are data, not a setting.
    const literal = await curl(['--data-binary', "SELECT 'x = DEFAULT INTO OUTFILE'", `${base}/`]);
    expect(literal.body.toString()).toBe('x = DEFAULT INTO OUTFILE\n');
  });

  it('answers each request it cannot serve with ClickHouse’s code and message', async () => {
    const large = join(tmpdir(), `analysts-large-${process.pid}.sql`);
    writeFileSync(large, `SELECT '${'x'.repeat(2 << 20)}'`);
    const cases: [string, string[], number, number][] = [
      [
        'unknown Content-Encoding',
        ['-H', 'Content-Encoding: xz', '--data-binary', 'SELECT 1', `${base}/`],
        89,
        500,
      ],
      [
        'corrupt compressed body',
        ['--data-binary', 'not a compressed block at all......', `${base}/?decompress=1`],
        271,
        500,
      ],
      ['PUT', ['-X', 'PUT', '--data-binary', 'SELECT 1', `${base}/`], 1, 500],
      ['unknown handler', [`${base}/play?query=SELECT%201`], 36, 400],
      ['query too large', ['--data-binary', `@${large}`, `${base}/`], 229, 413],
      [
        'missing session with session_check',
        [`${base}/?session_id=nope&session_check=1&query=SELECT%201`],
        372,
        500,
      ],
      ['bad session timeout', [`${base}/?session_id=s1&session_timeout=99999&query=SELECT%201`], 374, 500],
      ['lifting a limit by URL', [`${base}/?max_execution_time=0&query=SELECT%201`], 164, 500],
    ];
    for (const [name, args, code, status] of cases) {
      const r = await curl(args);
      expect([r.status, r.headers['x-clickhouse-exception-code']], name).toEqual([status, String(code)]);
      expect(r.body.toString(), name).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: `));
    }
  });

  it('keeps a session’s database for its session_id and refuses a second query while one runs', async () => {
    const url = (q: string) => `${base}/?session_id=analyst-1&query=${encodeURIComponent(q)}`;
    expect((await curl([url('USE system')])).status).toBe(200);
    expect((await curl([url('SELECT currentDatabase()')])).body.toString()).toBe('system\n');
    expect((await curl([`${base}/?query=SELECT+currentDatabase()`])).body.toString()).toBe('default\n');
    const slow = curl([url('SELECT sleepEachRow(0.5) FROM numbers(4) FORMAT Null')]);
    await new Promise((r) => setTimeout(r, 300));
    const locked = await curl([url('SELECT 1')]);
    expect(locked.headers['x-clickhouse-exception-code']).toBe('373');
    expect((await slow).status).toBe(200);
  });

  it('holds the result until the end with wait_end_of_query=1, with the summary and progress headers', async () => {
    const r = await curl([
      `${base}/?wait_end_of_query=1&send_progress_in_http_headers=1&query=${encodeURIComponent('SELECT number FROM numbers(3) FORMAT TSV')}`,
    ]);
    expect(r.body.toString()).toBe('0\n1\n2\n');
    expect(r.headers['content-length']).toBe('6');
    expect(JSON.parse(r.headers['x-clickhouse-summary'] ?? '{}')).toMatchObject({ result_rows: '3' });
    expect(JSON.parse(r.headers['x-clickhouse-progress'] ?? '{}')).toHaveProperty('result_rows');
  });
});
