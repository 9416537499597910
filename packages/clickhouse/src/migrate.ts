import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouse } from './create-clickhouse.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const name of files) {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new Error(`migration file name must be NNNN_verb_object.sql: ${name}`);
    migrations.push({ version: Number(match[1]), name, sql: await readFile(join(dir, name), 'utf8') });
  }
  const versions = new Set(migrations.map((m) => m.version));
  if (versions.size !== migrations.length) throw new Error(`duplicate migration numbers in ${dir}`);
  return migrations;
}

/**
 * Applies each numbered file once, in order, one statement per file (nothing splits on `;`).
 * Statements are idempotent, so a crash between apply and record is repaired by the next run.
 */
export async function migrate(clickhouse: ClickHouse, dir = MIGRATIONS_DIR): Promise<string[]> {
  await clickhouse.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = await clickhouse.query({
    query: 'SELECT version FROM schema_migrations',
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number | string }>()).map((r) => Number(r.version)));
  const appliedNow: string[] = [];
  for (const migration of await loadMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    await clickhouse.command({ query: migration.sql });
    await clickhouse.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    appliedNow.push(migration.name);
  }
  return appliedNow;
}
