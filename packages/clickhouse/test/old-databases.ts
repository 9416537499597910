// Databases as earlier versions of the migrations left them, for upgrade tests.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClickHouse, loadMigrations } from '../src/index.ts';

/** Texts of 0010, 0020, 0022–0024 as they were first applied, from git history (see EDITED_MIGRATIONS). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/edited-migrations', import.meta.url));

/** Commits whose migration set differed from today's only by those texts, and the last version each had. */
export const ERAS = [
  { commit: '4e7a3f5', upTo: 24 }, // cells as a `counts` map, no cycle layout, unpartitioned scratch tables
  { commit: '6debe42', upTo: 24 }, // unpartitioned scratch tables
  { commit: 'a5bf1b0', upTo: 10 }, // 0010 with its first comment
] as const;

/** A new temp directory (the caller removes it) with today's files up to `upTo`, as `commit` had them. */
export async function migrationsAt(commit: string, upTo: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dossier-migrations-'));
  const old = new Set(await readdir(join(FIXTURES, commit)));
  for (const m of await loadMigrations()) {
    if (m.version > upTo) continue;
    const text = old.has(m.name) ? await readFile(join(FIXTURES, commit, m.name), 'utf8') : m.sql;
    await writeFile(join(dir, m.name), text);
  }
  return dir;
}

/** What the runner did before it recorded checksums (0423365 … c4f25c0): every file, no checksum column. */
export async function migrateAsBeforeChecksums(clickhouse: ClickHouse, dir: string): Promise<void> {
  await clickhouse.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  for (const m of await loadMigrations(dir)) {
    await clickhouse.command({ query: m.sql });
    await clickhouse.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
  }
}
