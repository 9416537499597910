// The aggregate bench's stored history (aggregate.bench.ts --history-dir) and its replay on a copy
// (--work-dir): generated once, in a child process (chDB opens one data directory per process), at a fixed
// instant (aggregate-replay-plan.ts REPLAY_AT or --now) and stored rebuilt, with a manifest; each run checks
// the manifest against its checkout's migrations, copies the store, moves the server-clock stamps forward
// (freshenStamps) and times its cycles there, so two commits run the same statements on one state.
// Run directly (`tsx bench/aggregate-replay.ts --generate DIR --dossiers N --now T`) it is that child.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClickHouse,
  createClickHouse,
  loadMigrations,
  MemoryBudgetConfig,
  memoryBudgetOf,
  migrate,
} from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { timedCycle } from './aggregate-cycles.ts';
import { cityHistory, insertCatalog, insertDossiers, openWriters } from './aggregate-data.ts';
import {
  MANIFEST_FILE,
  manifestProblem,
  type ReplayManifest,
  STAMPED,
  TTL_TABLES,
} from './aggregate-replay-plan.ts';
import { settle } from './merges.ts';

const round = (x: number) => Math.round(x * 1000) / 1000;
const ms = (at: string) => Date.parse(`${at.replace(' ', 'T')}Z`);

/** A client of the store at `dir` under the memory budget npm start applies (as the bench's own). */
export async function openStore(dir: string, application = 'bench'): Promise<ClickHouse> {
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  return createClickHouse({
    url: `chdb:${dir}`,
    application,
    settings: budget.pipelineSettings,
    engineArgs: budget.engineArgs,
  });
}

/**
 * Writes into the migrated store at `dir` (open as `clickhouse`) the catalog and `dossiers` dossiers
 * received at the city's rate up to `now`, every value a function of the dossier's number and `now`.
 */
export async function writeCityHistory(
  clickhouse: ClickHouse,
  dir: string,
  dossiers: number,
  now: string,
): Promise<void> {
  await insertCatalog(clickhouse);
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  const writers = await openWriters(`chdb:${dir}`, budget.pipelineSettings);
  await insertDossiers(clickhouse, {
    first: 0,
    count: dossiers,
    now,
    ...cityHistory(dossiers, ms(now)),
    writers,
  }).finally(() => Promise.all(writers.map((w) => w.close())));
}

export function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return dirty.trim() ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

async function rowsOf<T>(clickhouse: ClickHouse, query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

const serverNow = async (clickhouse: ClickHouse) =>
  (await rowsOf<{ now: string }>(clickhouse, "SELECT toString(now64(3, 'UTC')) AS now"))[0]?.now ?? '';

/** Rows of each table with a TTL the store has. */
async function stampedRows(clickhouse: ClickHouse): Promise<Record<string, number>> {
  const rows = await rowsOf<{ table: string; rows: string | number }>(
    clickhouse,
    `SELECT table, sum(rows) AS rows FROM system.parts WHERE active AND database = currentDatabase()
      AND table IN (${TTL_TABLES.map((t) => `'${t}'`).join(', ')}) GROUP BY table ORDER BY table`,
  );
  return Object.fromEntries(rows.map((r) => [r.table, Number(r.rows)]));
}

/** The child: `dossiers` dossiers received up to `now` written into `dir`, rebuilt at `now`, a manifest. */
async function generateHistory(dir: string, dossiers: number, now: string): Promise<void> {
  const clickhouse = await openStore(dir);
  try {
    await migrate(clickhouse);
    const began = performance.now();
    const cpu = process.cpuUsage();
    await writeCityHistory(clickhouse, dir, dossiers, now);
    const generateSeconds = round((performance.now() - began) / 1000);
    const used = process.cpuUsage(cpu);
    console.error(
      `[bench:aggregate] generated ${dossiers} dossiers at ${now} in ${generateSeconds} s; rebuilding`,
    );
    const fullCycle = await timedCycle(clickhouse, 92, now);
    console.error(`[bench:aggregate] rebuild ${fullCycle.seconds} s (cpu ${fullCycle.cpuSeconds} s)`);
    await settle(clickhouse);
    const migrations = await rowsOf<{ name: string }>(
      clickhouse,
      'SELECT name FROM schema_migrations FINAL ORDER BY version',
    );
    const manifest: ReplayManifest = {
      dossiers,
      now,
      commit: commitOf(),
      migrations: migrations.map((m) => m.name),
      rebuiltAt: await serverNow(clickhouse),
      generatedAt: new Date().toISOString(),
      generateSeconds,
      generateCpuSeconds: round((used.user + used.system) / 1e6),
      fullCycle,
      stampedRows: await stampedRows(clickhouse),
    };
    await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  } finally {
    await clickhouse.close();
  }
}

export interface PreparedReplay {
  manifest: ReplayManifest;
  /** Whether this run generated the history (in a child process), and the seconds it took, rebuild included. */
  generated: boolean;
  generationWallSeconds?: number;
  copySeconds: number;
}

/**
 * The history at `historyDir` (generated first when missing), checked against this checkout's migrations
 * and the wanted size and instant, copied whole to `workDir` (emptied first) with `cp -a`.
 */
export async function prepareReplay(options: {
  historyDir: string;
  workDir: string;
  dossiers: number;
  now?: string;
  defaultNow: string;
  log: (line: string) => void;
}): Promise<PreparedReplay> {
  const { historyDir, workDir, log } = options;
  let generationWallSeconds: number | undefined;
  if (!existsSync(historyDir)) {
    const partial = `${historyDir}.partial`;
    await rm(partial, { recursive: true, force: true });
    const now = options.now ?? options.defaultNow;
    log(`[bench:aggregate] generating ${options.dossiers} dossiers at ${now} into ${historyDir}`);
    const began = performance.now();
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        new URL(import.meta.url).pathname,
        '--generate',
        partial,
        '--dossiers',
        String(options.dossiers),
        '--now',
        now,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`generating the history failed (exit ${child.status})`);
    await rename(partial, historyDir);
    generationWallSeconds = round((performance.now() - began) / 1000);
  }
  if (!existsSync(join(historyDir, MANIFEST_FILE))) {
    throw new Error(
      `${historyDir} holds no ${MANIFEST_FILE}: not a stored history (a history is generated only where ` +
        'nothing exists yet): remove it or give another --history-dir',
    );
  }
  const manifest = JSON.parse(await readFile(join(historyDir, MANIFEST_FILE), 'utf8')) as ReplayManifest;
  const known = (await loadMigrations()).map((m) => m.name);
  const problem = manifestProblem(manifest, known, { dossiers: options.dossiers, now: options.now });
  if (problem) throw new Error(`${historyDir}: ${problem}`);
  await rm(workDir, { recursive: true, force: true });
  const began = performance.now();
  execFileSync('cp', ['-a', historyDir, workDir]);
  const copySeconds = round((performance.now() - began) / 1000);
  log(
    `[bench:aggregate] copied ${historyDir} (${manifest.commit}, ${manifest.now}) to ${workDir} in ${copySeconds} s`,
  );
  return { manifest, generated: generationWallSeconds !== undefined, generationWallSeconds, copySeconds };
}

/**
 * Server configuration of a replay's engine (a file beside the store, passed as `--config-file`): no merge
 * with TTL is ever assigned (`max_number_of_merges_with_ttl_in_pool` 0). A copy older than a TTL would
 * otherwise drop or rewrite rows as soon as its tables load, before any statement could stop it (seen: every
 * Decision 766 input and values row of a copy aged 8 days gone before the first statement); in a run that
 * generates its history no row reaches its TTL (6 hours at least) before the run ends, so none merges either.
 */
export async function replayEngineArgs(workDir: string): Promise<string[]> {
  const path = join(workDir, REPLAY_CONFIG);
  await writeFile(
    path,
    '<clickhouse><merge_tree><max_number_of_merges_with_ttl_in_pool>0</max_number_of_merges_with_ttl_in_pool></merge_tree></clickhouse>\n',
  );
  return [`--config-file=${path}`];
}
const REPLAY_CONFIG = 'bench-replay-config.xml';

/**
 * Moves every stamped column ({@link STAMPED}) of the copy forward by the server's time since the rebuild,
 * so a cycle judges the staged rows' and inputs' ages as right after a rebuild, and checks no table with a
 * TTL lost a row ({@link replayEngineArgs}). Returns the seconds it took and the shift.
 */
export async function freshenStamps(
  clickhouse: ClickHouse,
  manifest: ReplayManifest,
): Promise<{ seconds: number; shiftSeconds: number }> {
  const began = performance.now();
  const shiftSeconds = Math.max(
    0,
    Math.floor((ms(await serverNow(clickhouse)) - ms(manifest.rebuiltAt)) / 1000),
  );
  await shiftStamps(clickhouse, shiftSeconds, Object.keys(STAMPED));
  const rows = await stampedRows(clickhouse);
  const lost = Object.entries(manifest.stampedRows).filter(([table, n]) => (rows[table] ?? 0) !== n);
  if (lost.length > 0) {
    throw new Error(
      `the copy's TTL tables do not hold the history's rows (a TTL merge ran?): ${lost
        .map(([table, n]) => `${table} ${rows[table] ?? 0} of ${n}`)
        .join(', ')}`,
    );
  }
  return { seconds: round((performance.now() - began) / 1000), shiftSeconds };
}

/**
 * Adds `seconds` to the stamped column of each of `tables` the store has ({@link STAMPED}; others as
 * `columns` says): the rows are rewritten through a twin table (the column is in the partition key) and
 * attached back partition by partition; no view sees them.
 */
export async function shiftStamps(
  clickhouse: ClickHouse,
  seconds: number,
  tables: readonly string[],
  columns: Readonly<Record<string, string>> = STAMPED,
): Promise<void> {
  const present = new Set(
    (
      await rowsOf<{ table: string; name: string }>(
        clickhouse,
        'SELECT table, name FROM system.columns WHERE database = currentDatabase()',
      )
    ).map((c) => `${c.table}.${c.name}`),
  );
  const partitions = async (table: string) =>
    (
      await rowsOf<{ id: string }>(
        clickhouse,
        `SELECT DISTINCT partition_id AS id FROM system.parts
          WHERE active AND database = currentDatabase() AND table = '${table}'`,
      )
    ).map((p) => p.id);
  for (const table of tables) {
    const column = columns[table];
    if (!column || !present.has(`${table}.${column}`)) continue;
    const twin = `bench_replay_${table}`;
    await clickhouse.command({ query: `DROP TABLE IF EXISTS ${twin} SYNC` });
    await clickhouse.command({ query: `CREATE TABLE ${twin} AS ${table}` });
    await clickhouse.command({
      query: `INSERT INTO ${twin} SELECT * REPLACE (${column} + toIntervalSecond(${seconds}) AS ${column}) FROM ${table}`,
    });
    for (const id of await partitions(table)) {
      await clickhouse.command({ query: `ALTER TABLE ${table} DROP PARTITION ID '${id}'` });
    }
    for (const id of await partitions(twin)) {
      await clickhouse.command({ query: `ALTER TABLE ${table} ATTACH PARTITION ID '${id}' FROM ${twin}` });
    }
    await clickhouse.command({ query: `DROP TABLE ${twin} SYNC` });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { generate: { type: 'string' }, dossiers: { type: 'string' }, now: { type: 'string' } },
  });
  if (!values.generate || !values.dossiers || !values.now) {
    throw new Error('usage: aggregate-replay.ts --generate DIR --dossiers N --now T');
  }
  await generateHistory(values.generate, Number(values.dossiers), values.now);
}
