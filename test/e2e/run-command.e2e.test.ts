import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, ClickHouseError, createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../support/free-port.ts';
import { runJdbcChecks } from '../support/jdbc.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import {
  eventually,
  groupAlive,
  javaBrokersOf,
  REPO,
  type RunningCommand,
  run,
  startRunCommand,
  stopRunCommand,
  waitFor,
} from './run-command.ts';

const KAFKA_SH = join(REPO, 'infra/local/kafka/kafka.sh');
const HISTORY_SQL = `SELECT (SELECT count() FROM dossiers_v1) AS dossiers,
  (SELECT count() FROM kpi_values_v1 WHERE computed_at < {cut:DateTime64(3, 'UTC')}) AS history`;

describe('npm start: the whole pipeline in one process', { timeout: 900_000 }, () => {
  let dataDir = '';
  let cmd: RunningCommand | undefined;
  let client: ClickHouseClient | undefined;
  const prefix = uniquePrefix('e2e');

  afterAll(async () => {
    await client?.close();
    // Whatever happened above, nothing this test started may survive it.
    if (cmd?.child.pid && groupAlive(cmd.child.pid)) process.kill(-cmd.child.pid, 'SIGKILL');
    if (dataDir) {
      await run(KAFKA_SH, ['stop', '--data-dir', join(dataDir, 'kafka')]).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
    await deleteKeys(prefix);
  });

  it('simulates, ingests, aggregates, answers analysts read-only, and keeps data and KPI history across a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dossier-e2e-'));
    const [kafkaPort, monitorPort, analystsPort] = await freePorts(3);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      KAFKA_PORT: String(kafkaPort),
      MONITOR_PORT: String(monitorPort),
      ANALYSTS_PORT: String(analystsPort),
      REDIS_URL: testRedisUrl(),
      AGGREGATOR_PREFIX: prefix,
      AGGREGATOR_INTERVAL_SECONDS: '5',
      SIMULATOR_RATE: '200',
      // The default memory budget; a shorter time limit only keeps the heavy analyst query below brief.
      ANALYSTS_MAX_EXECUTION_TIME_S: '20',
      LOG_LEVEL: 'info',
    };
    // The run command must start its own broker: no shared one and no ClickHouse server.
    delete env.KAFKA_BROKERS;
    delete env.CLICKHOUSE_URL;
    const url = `http://127.0.0.1:${analystsPort}`;
    client = createClient({ url });
    const ch = client;
    const rows = async <T>(query: string, params?: Record<string, string>) =>
      (await ch.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

    cmd = startRunCommand(env);
    await waitFor(
      'first start ready',
      async () => (cmd?.output().includes('all-in-one ready') ? true : undefined),
      cmd,
      300_000,
    );
    expect(cmd.output()).toContain(`ClickHouse HTTP      ${url}`);
    // Piped (not a terminal): one JSON object per log line, for collectors; the banner stays plain text.
    const printed = cmd.output().split('\n');
    const jsonLines = printed.filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(5);
    expect(jsonLines.every((l) => typeof JSON.parse(l).msg === 'string')).toBe(true);
    // A fresh broker: kafkajs's partitioner notice and the coordinator lookup while __consumer_offsets is
    // created are not errors, nor warnings from kafkajs.
    const loud = jsonLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.level >= 50 || (l.level >= 40 && l.component === 'kafkajs'));
    expect(loud).toEqual([]);
    expect(printed.filter((l) => /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] /.test(l))).toEqual([]);
    expect(cmd.output()).toContain(`dashboard            http://127.0.0.1:${monitorPort}/`);

    const kpis = await waitFor(
      'KPI values in kpi_latest',
      async () => {
        const r = await rows<{ kpi: string; value: number }>(
          "SELECT kpi, value FROM kpi_latest WHERE scope_kind = 'city' AND value IS NOT NULL ORDER BY kpi",
        );
        const names = new Set(r.map((x) => x.kpi));
        return names.has('online_resolution_rate') && names.has('on_time_rate') ? r : undefined;
      },
      cmd,
      300_000,
    );
    expect(kpis.every((k) => k.value >= 0 && k.value <= 1)).toBe(true);
    // The catalog is valid from 2020, so the cycle after it loads scores every period since then: the
    // heaviest statement of a start (the Decision 766 index over ~2,700 periods). It must fit the default
    // memory budget; a cycle that fails on it fails every time, and no 2020 value is ever written.
    await waitFor(
      "the catalog's first cycle: the city's Decision 766 total for 2020",
      async () => {
        const [r] = await rows<{ n: string }>(
          "SELECT count() AS n FROM kpi_latest WHERE kpi = 'index766.total' AND scope_kind = 'city' AND period_start < '2021-01-01'",
        );
        return Number(r?.n) > 0 ? true : undefined;
      },
      cmd,
      300_000,
    );

    // The JDBC driver behind DBeaver and DataGrip, with the analysts' guide URL and its default settings.
    const jdbc = await runJdbcChecks(`jdbc:clickhouse://127.0.0.1:${analystsPort}/default`);
    expect(jdbc.get('version')).toMatchObject({ ok: true, value: expect.stringMatching(/^26\./) });
    expect(jdbc.get('metadata')?.tables).toContain('kpi_latest');
    expect(jdbc.get('parameterized')?.ok).toBe(true);
    expect(jdbc.get('parameterized')?.rows).toEqual(
      expect.arrayContaining([expect.stringMatching(/^online_resolution_rate\|/)]),
    );
    expect(jdbc.get('large')).toMatchObject({ ok: true, rows: 1_000_000, sum: 499_999_500_000 });
    expect(jdbc.get('insert')).toMatchObject({ ok: false, errorCode: 164 });

    // One memory-heavy analyst query over 8123 leaves the process under 5 GB resident and healthy.
    const pid = Number(readFileSync(join(dataDir, 'all-in-one.pid'), 'utf8'));
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
    let peak = rss();
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss());
    }, 200);
    const heavy = await run('curl', [
      '-sS',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '--data-binary',
      'SELECT number, count() FROM numbers(300000000) GROUP BY number',
      `${url}/`,
    ]);
    clearInterval(sampler);
    expect(heavy.stdout).toMatch(/^Code: (241|159)\. DB::Exception: /);
    console.log(
      JSON.stringify({
        heavyAnalystQuery: heavy.stdout.split('\n')[0]?.slice(0, 120),
        peakRssGB: peak / 1e9,
      }),
    );
    expect(peak).toBeLessThan(5e9);
    const healthz = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://127.0.0.1:${monitorPort}/healthz`,
    ]);
    expect(healthz.stdout).toBe('200');

    const { stdout } = await run('curl', [
      '-sS',
      '--data-binary',
      'SELECT count() FROM kpi_latest WHERE value IS NOT NULL AND kpi = {k:String}',
      `${url}/?param_k=online_resolution_rate`,
    ]);
    expect(Number(stdout.trim())).toBeGreaterThan(0);

    const refused = await ch.command({ query: "INSERT INTO kpi_values_v1 (kpi) VALUES ('forged')" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ClickHouseError);
    expect((refused as ClickHouseError).code).toBe('164');
    const curlWrite = await run('curl', [
      '-sS',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '--data-binary',
      'DROP TABLE kpi_values_v1',
      `${url}/`,
    ]);
    expect(curlWrite.stdout).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\)/);

    // History of finished cycles only: a cycle still running writes rows stamped with its start time.
    const [cut] = await rows<{ computed: string }>(
      'SELECT toString(max(computed_at)) AS computed FROM kpi_values_v1',
    );
    if (!cut) throw new Error('no KPI history');
    const [first] = await rows<{ dossiers: string; history: string }>(HISTORY_SQL, { cut: cut.computed });
    if (!first) throw new Error('no counts');
    expect(Number(first.dossiers)).toBeGreaterThan(0);

    const pgid = cmd.child.pid ?? 0;
    const firstRun = cmd;
    expect(await stopRunCommand(firstRun, dataDir), firstRun.output().slice(-4000)).toBe(0);
    expect(await eventually(() => !groupAlive(pgid), 60_000)).toBe(true);
    expect(await javaBrokersOf(dataDir)).toEqual([]);

    cmd = startRunCommand({ ...env, SIMULATOR: 'false' });
    await waitFor(
      'second start ready',
      async () => (cmd?.output().includes('all-in-one ready') ? true : undefined),
      cmd,
      300_000,
    );
    expect(cmd.output()).toContain('"applied":[]');
    const after = await rows<{ dossiers: string; history: string }>(HISTORY_SQL, { cut: cut.computed });
    expect(Number(after[0]?.dossiers)).toBeGreaterThanOrEqual(Number(first.dossiers));
    expect(Number(after[0]?.history)).toBe(Number(first.history));
    const still = await rows<{ n: string }>(
      "SELECT count() AS n FROM kpi_latest WHERE value IS NOT NULL AND scope_kind = 'city'",
    );
    expect(Number(still[0]?.n)).toBeGreaterThan(0);

    const secondPgid = cmd.child.pid ?? 0;
    const second = cmd;
    expect(await stopRunCommand(second, dataDir), second.output().slice(-4000)).toBe(0);
    expect(await eventually(() => !groupAlive(secondPgid), 60_000)).toBe(true);
    expect(await javaBrokersOf(dataDir)).toEqual([]);
  });
});
