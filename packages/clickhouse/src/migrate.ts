import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderForCluster, stripComments } from './cluster-ddl.ts';
import type { ClickHouse } from './create-clickhouse.ts';
import { EDITED_MIGRATIONS } from './edited-migrations.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** `-- migrate:only-if <query>`: the statement runs only when the query's first value is non-zero. */
const ONLY_IF = /^--\s*migrate:only-if\s+(.+)$/m;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 of the file text (line endings normalised): what the database records when applying it. */
  checksum: string;
  /** A query deciding whether the statement is needed (repairs of databases created by older texts). */
  onlyIf?: string;
}

export interface MigrateOptions {
  dir?: string;
  /** Cluster name: DDL runs ON CLUSTER and tables are Replicated (see cluster-ddl.ts). */
  cluster?: string;
  /** Called once a file is recorded as applied (whether its statement ran or its only-if skipped it). */
  onApplied?: (name: string) => void;
}

/** Start-up refused: applied migrations differ from the files. Lists every problem. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(readonly problems: string[]) {
    super(`ClickHouse migrations refused:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function migrationChecksum(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const name of files) {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new Error(`migration file name must be NNNN_verb_object.sql: ${name}`);
    const sql = await readFile(join(dir, name), 'utf8');
    const onlyIf = ONLY_IF.exec(sql)?.[1]?.trim();
    migrations.push({ version: Number(match[1]), name, sql, checksum: migrationChecksum(sql), onlyIf });
  }
  const versions = new Set(migrations.map((m) => m.version));
  if (versions.size !== migrations.length) throw new Error(`duplicate migration numbers in ${dir}`);
  return migrations;
}

const TABLE = 'schema_migrations';
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE}
  (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3), checksum String DEFAULT '')
  ENGINE = ReplacingMergeTree ORDER BY version`;
// Databases migrated before checksums were recorded have the table without the column.
const ADD_CHECKSUM = `ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS checksum String DEFAULT ''`;
/** The runner's own DDL, rendered like the migrations in cluster mode. */
export const SCHEMA_MIGRATIONS_DDL = [CREATE_TABLE, ADD_CHECKSUM] as const;

interface Applied {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
}

/**
 * Applies each numbered file once, in order, one statement per file (nothing splits on `;`), and records
 * its checksum. Refuses to start, naming the files, when an applied migration's file was edited, renamed
 * or removed. Statements are idempotent, so a crash between apply and record is repaired by the next run.
 * Takes the migrations directory (as it always did) or options. Returns the names of the files applied now.
 */
export async function migrate(
  clickhouse: ClickHouse,
  dirOrOptions: string | MigrateOptions = {},
): Promise<string[]> {
  const options = typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : dirOrOptions;
  const render = (sql: string) => (options.cluster ? renderForCluster(sql, options.cluster) : sql);
  const migrations = await loadMigrations(options.dir);
  const columns = await rows<{ name: string }>(
    clickhouse,
    `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${TABLE}'`,
  );
  if (columns.length === 0) await clickhouse.command({ query: render(CREATE_TABLE) });
  else if (!columns.some((c) => c.name === 'checksum'))
    await clickhouse.command({ query: render(ADD_CHECKSUM) });

  const applied = (
    await rows<Applied>(
      clickhouse,
      `SELECT version, name, checksum, toString(applied_at) AS applied_at FROM ${TABLE} FINAL ORDER BY version`,
    )
  ).map((r) => ({ ...r, version: Number(r.version) }));
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const problems = applied.flatMap((row) => checkApplied(row, byVersion.get(row.version)));
  if (problems.length > 0) throw new MigrationError(problems);

  // Applied before checksums existed: the text it ran is unknown, so the current one is recorded.
  const adopted = applied.filter((row) => row.checksum === '');
  if (adopted.length > 0) {
    await record(
      clickhouse,
      adopted.map((row) => ({ ...row, checksum: byVersion.get(row.version)!.checksum })),
    );
  }

  const done = new Set(applied.map((row) => row.version));
  const appliedNow: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    if (await needed(clickhouse, migration)) {
      const statement = render(migration.sql);
      if (options.cluster && /^CREATE\s+OR\s+REPLACE\s+TABLE\b/i.test(stripComments(statement))) {
        // Replicated tables re-created this way lose their Keeper path ({table} expands to a temporary name).
        throw new MigrationError([`${migration.name}: CREATE OR REPLACE TABLE cannot run on a cluster`]);
      }
      await clickhouse.command({ query: statement, clickhouse_settings: MIGRATION_SETTINGS });
      appliedNow.push(migration.name);
    }
    await record(clickhouse, [
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    ]);
    options.onApplied?.(migration.name);
  }
  return appliedNow;
}

/**
 * Settings of every migration statement, beside the caller's memory limit. A fill migration inserts into
 * an AggregatingMergeTree (0235 into `dossier_state_v1`, empty states for every column it does not fill):
 * with the default blocks (about a million rows squashed per insert) its block of aggregate states grew
 * with the history and went past the pipeline's 2.70 GiB share on a 10M-dossier history, so the upgrade
 * failed at start. Measured at 200,000 open dossiers: 65,536-row blocks still need over 800 MiB (about
 * 12 KiB a row in states); 8,192-row blocks fit. Read and insert blocks of 8,192 rows keep a statement to
 * a block's worth whatever the history.
 */
export const MIGRATION_SETTINGS = {
  max_block_size: '8192',
  min_insert_block_size_rows: '8192',
  min_insert_block_size_bytes: String(8 * 1024 * 1024),
} as const;

function checkApplied(row: Applied, file: Migration | undefined): string[] {
  if (!file) return [`${row.name} was applied to this database but is no longer among the migration files`];
  if (file.name !== row.name) {
    return [`version ${row.version} was applied as ${row.name}, but its file is now ${file.name}`];
  }
  if (row.checksum === '' || row.checksum === file.checksum) return [];
  if (EDITED_MIGRATIONS[file.name]?.includes(row.checksum)) return [];
  return [
    `${file.name} was edited after it was applied (applied ${row.checksum.slice(0, 12)}, file ${file.checksum.slice(0, 12)}): ` +
      'restore its applied text and add a new migration for the change',
  ];
}

async function needed(clickhouse: ClickHouse, migration: Migration): Promise<boolean> {
  if (!migration.onlyIf) return true;
  const [row] = await rows<Record<string, unknown>>(clickhouse, migration.onlyIf);
  return Number(Object.values(row ?? {})[0] ?? 0) !== 0;
}

async function record(clickhouse: ClickHouse, values: Partial<Applied>[]): Promise<void> {
  await clickhouse.insert({ table: TABLE, values, format: 'JSONEachRow' });
}

async function rows<T>(clickhouse: ClickHouse, query: string): Promise<T[]> {
  const result = await clickhouse.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}
