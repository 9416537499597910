// Every process that migrates on start refuses to start, naming the file, when an applied migration was
// edited: the one-shot migrator (compose `migrator`, `npm run migrate`) and the all-in-one (`npm start`).
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClickHouse, MIGRATIONS_DIR, migrate } from '@dossier/clickhouse';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO } from '../e2e/run-command.ts';
import { freePorts } from '../support/free-port.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from '../support/stale-dirs.ts';

const EDITED = '0013_create_kpi_latest_view.sql';
const temps: string[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
  await Promise.all(prefixes.map((prefix) => deleteKeys(prefix)));
});

function owned(prefix: string): string {
  prefixes.push(prefix);
  return prefix;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(ownedTempPrefix(CHDB_DIR_PREFIX));
  temps.push(dir);
  return dir;
}

/** The migration files with one of them edited (a comment added), in a directory of their own. */
async function editedMigrations(): Promise<string> {
  const dir = await tempDir();
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await writeFile(join(dir, EDITED), '-- edited after it was applied\n', { flag: 'a' });
  return dir;
}

/** A chDB store migrated from `dir`, closed again so that a child process can open it. */
async function migratedStore(path: string, dir = MIGRATIONS_DIR): Promise<void> {
  const clickhouse = await createClickHouse({ url: `chdb:${path}` });
  try {
    await migrate(clickhouse, { dir });
  } finally {
    await clickhouse.close();
  }
}

/** Runs a TypeScript main with tsx; resolves with its exit code and everything it printed. */
function runMain(main: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(REPO, 'node_modules/.bin/tsx'), [main], { cwd: REPO, env, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('start-up with an edited applied migration', () => {
  it('the migrator exits 1 naming the file', async () => {
    const store = await tempDir();
    await migratedStore(store);
    const { code, output } = await runMain('packages/clickhouse/src/migrate.main.ts', {
      ...process.env,
      CLICKHOUSE_URL: `chdb:${store}`,
      MIGRATIONS_DIR: await editedMigrations(),
      CLICKHOUSE_CLUSTER: '',
    });
    expect(output).toContain(`${EDITED} was edited after it was applied`);
    expect(code).toBe(1);
  });

  it('the migrator refuses CLICKHOUSE_CLUSTER over embedded chDB before touching anything', async () => {
    const { code, output } = await runMain('packages/clickhouse/src/migrate.main.ts', {
      ...process.env,
      CLICKHOUSE_URL: `chdb:${await tempDir()}`,
      CLICKHOUSE_CLUSTER: 'dossier',
    });
    expect(output).toContain('CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL=http');
    expect(code).toBe(2);
  });

  it('the all-in-one exits 1 naming the file', async () => {
    const dataDir = await tempDir();
    // The database applied the edited text; the files are today's.
    await migratedStore(join(dataDir, 'clickhouse'), await editedMigrations());
    const [monitorPort, analystsPort] = await freePorts(2);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      REDIS_URL: testRedisUrl(),
      AGGREGATOR_PREFIX: owned(uniquePrefix('refused')),
      MONITOR_PORT: String(monitorPort),
      ANALYSTS_PORT: String(analystsPort),
      SIMULATOR: 'false',
    };
    delete env.CLICKHOUSE_URL;
    delete env.CLICKHOUSE_CLUSTER;
    const { code, output } = await runMain('services/all-in-one/src/main.ts', env);
    expect(output).toContain(`${EDITED} was edited after it was applied`);
    expect(output).not.toContain('all-in-one ready');
    expect(code).toBe(1);
  });
});
