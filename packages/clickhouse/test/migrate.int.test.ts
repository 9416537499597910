import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  type ClickHouse,
  EDITED_MIGRATIONS,
  loadMigrations,
  MIGRATIONS_DIR,
  MigrationError,
  migrate,
  migrationChecksum,
} from '../src/index.ts';
import { ERAS, FIXTURES, migrateAsBeforeChecksums, migrationsAt as oldMigrations } from './old-databases.ts';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dossier-migrations-'));
  temps.push(dir);
  return dir;
}

async function migrationsAt(commit: string, upTo: number): Promise<string> {
  const dir = await oldMigrations(commit, upTo);
  temps.push(dir);
  return dir;
}

async function rows<T>(clickhouse: ClickHouse, query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** `SHOW CREATE TABLE` of every table and view, without the database name. */
async function definitions(clickhouse: ClickHouse): Promise<Record<string, string>> {
  const [{ db } = { db: '' }] = await rows<{ db: string }>(clickhouse, 'SELECT currentDatabase() AS db');
  const tables = await rows<{ name: string }>(
    clickhouse,
    'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await rows<{ statement: string }>(clickhouse, `SHOW CREATE TABLE \`${name}\``);
    out[name] = (row?.statement ?? '').replaceAll(`${db}.`, '');
  }
  return out;
}

async function count(clickhouse: ClickHouse, query: string): Promise<number> {
  const [row] = await rows<{ n: string | number }>(clickhouse, query);
  return Number(row?.n ?? -1);
}

let fresh: Record<string, string>;

beforeAll(async () => {
  const ch = await createTestClickHouse();
  try {
    fresh = await definitions(ch.clickhouse);
  } finally {
    await ch.close();
  }
});

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('a start-up killed inside its migrations', () => {
  it("resumes after a kill between any file's statement and its record: the statement runs again and the schema is a fresh one's", async () => {
    // The kill-migrations fault scenario kills npm start at random points; this covers every file's
    // worst point deterministically: applied, not recorded, so the next start runs it a second time.
    const dir = await tempDir();
    const ch = await createTestClickHouse({ migrate: false });
    try {
      for (const migration of await loadMigrations()) {
        await cp(join(MIGRATIONS_DIR, migration.name), join(dir, migration.name));
        const onlyIf = migration.onlyIf ? await count(ch.clickhouse, `SELECT (${migration.onlyIf}) AS n`) : 1;
        if (onlyIf !== 0) await ch.clickhouse.command({ query: migration.sql });
        expect(await migrate(ch.clickhouse, { dir }), migration.name).toEqual(
          onlyIf !== 0 ? [migration.name] : [],
        );
      }
      expect(await definitions(ch.clickhouse)).toEqual(fresh);
      expect(
        await rows<{ name: string; checksum: string }>(
          ch.clickhouse,
          'SELECT name, checksum FROM schema_migrations FINAL ORDER BY version',
        ),
      ).toEqual((await loadMigrations()).map((m) => ({ name: m.name, checksum: m.checksum })));
    } finally {
      await ch.close();
    }
  });
});

describe('applied migrations are immutable', () => {
  it('records each file checksum; an edited, renamed or removed applied file stops start-up, naming each', async () => {
    const dir = await tempDir();
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const ch = await createTestClickHouse({ migrate: false });
    try {
      await migrate(ch.clickhouse, { dir });
      const recorded = await rows<{ name: string; checksum: string }>(
        ch.clickhouse,
        'SELECT name, checksum FROM schema_migrations FINAL ORDER BY version',
      );
      expect(recorded).toEqual(
        (await loadMigrations(dir)).map((m) => ({ name: m.name, checksum: m.checksum })),
      );

      await writeFile(join(dir, '0005_create_procedures.sql'), '-- a harmless-looking edit\n', { flag: 'a' });
      await rename(join(dir, '0007_create_dead_letters.sql'), join(dir, '0007_create_rejected_input.sql'));
      await rm(join(dir, '0008_create_dead_letter_replays.sql'));
      await writeFile(join(dir, '9999_create_probe.sql'), 'CREATE TABLE probe (a UInt8) ENGINE = Memory');

      const refused = await migrate(ch.clickhouse, { dir }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(MigrationError);
      expect((refused as MigrationError).problems).toEqual([
        expect.stringMatching(/^0005_create_procedures\.sql was edited after it was applied/),
        'version 7 was applied as 0007_create_dead_letters.sql, but its file is now 0007_create_rejected_input.sql',
        '0008_create_dead_letter_replays.sql was applied to this database but is no longer among the migration files',
      ]);
      // Refused before anything ran: the new migration was not applied.
      expect(await count(ch.clickhouse, "SELECT count() AS n FROM system.tables WHERE name = 'probe'")).toBe(
        0,
      );
    } finally {
      await ch.close();
    }
  });

  it('records checksums on the first run over a database migrated before they existed, then guards it', async () => {
    const ch = await createTestClickHouse({ migrate: false });
    try {
      await migrateAsBeforeChecksums(ch.clickhouse, MIGRATIONS_DIR);
      expect(await migrate(ch.clickhouse)).toEqual([]);
      const recorded = await rows<{ checksum: string }>(
        ch.clickhouse,
        'SELECT checksum FROM schema_migrations FINAL ORDER BY version',
      );
      expect(recorded.map((r) => r.checksum)).toEqual((await loadMigrations()).map((m) => m.checksum));
      expect(await definitions(ch.clickhouse)).toEqual(fresh);

      const dir = await tempDir();
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await writeFile(join(dir, '0013_create_kpi_latest_view.sql'), '\n', { flag: 'a' });
      await expect(migrate(ch.clickhouse, { dir })).rejects.toThrow(
        /0013_create_kpi_latest_view\.sql was edited/,
      );
    } finally {
      await ch.close();
    }
  });

  it('knows exactly the historical texts of the files edited before checksums existed', async () => {
    const fixtures: Record<string, string[]> = {};
    for (const commit of await readdir(FIXTURES)) {
      for (const name of await readdir(join(FIXTURES, commit))) {
        const text = await readFile(join(FIXTURES, commit, name), 'utf8');
        fixtures[name] = [...new Set([...(fixtures[name] ?? []), migrationChecksum(text)])].sort();
      }
    }
    const registry = Object.fromEntries(
      Object.entries(EDITED_MIGRATIONS).map(([k, v]) => [k, [...v].sort()]),
    );
    expect(registry).toEqual(fixtures);
    expect(Object.keys(registry).sort()).toEqual([
      '0010_create_kpi_values.sql',
      '0020_create_kpi_cells.sql',
      '0022_create_kpi_stage_facts.sql',
      '0023_create_kpi_stage_cells.sql',
      '0024_create_kpi_cycles.sql',
    ]);
  });
});

describe('databases created with earlier texts of 0010, 0020, 0022–0024', () => {
  it.each(ERAS)(
    'reach the current definitions from $commit, migrated by the runner of the time',
    async (era) => {
      const ch = await createTestClickHouse({ migrate: false });
      try {
        await migrateAsBeforeChecksums(ch.clickhouse, await migrationsAt(era.commit, era.upTo));
        await migrate(ch.clickhouse);
        expect(await definitions(ch.clickhouse)).toEqual(fresh);
      } finally {
        await ch.close();
      }
    },
  );

  it.each(ERAS)('reach them from $commit when its texts were recorded with their checksums', async (era) => {
    const ch = await createTestClickHouse({ migrate: false });
    try {
      await migrate(ch.clickhouse, { dir: await migrationsAt(era.commit, era.upTo) });
      await migrate(ch.clickhouse);
      expect(await definitions(ch.clickhouse)).toEqual(fresh);
    } finally {
      await ch.close();
    }
  });

  it('keep staged rows and history; cells of the first layout are dropped and every generation asks for a rebuild', async () => {
    const ch = await createTestClickHouse({ migrate: false });
    const { clickhouse } = ch;
    try {
      await migrateAsBeforeChecksums(clickhouse, await migrationsAt('4e7a3f5', 24));
      const generation = {
        judged_at: '2026-01-05 10:00:00',
        window_to: '2026-01-05 10:00:00',
        day_floor: '1970-01-01',
      };
      await clickhouse.insert({
        table: 'kpi_cycles_v1',
        values: [
          { gen: 1, run_id: 'r1', kind: 'rebuild', state: 'staged', ...generation },
          { gen: 1, run_id: 'r1', kind: 'rebuild', state: 'committed', ...generation },
          { gen: 2, run_id: 'r2', kind: 'cycle', state: 'staged', ...generation },
        ],
        format: 'JSONEachRow',
      });
      const cell = {
        period_kind: 'month',
        period_start: '2026-01-01',
        admin_level: 'province',
        agency_code: 'A',
      };
      await clickhouse.command({
        query: `INSERT INTO kpi_cells_v1 VALUES ('month', '2026-01-01', 'province', 'A', 'F', 'P', {'online_resolution_rate:n': 3})`,
      });
      await clickhouse.insert({
        table: 'kpi_stage_cells_v1',
        values: [
          { run_id: 'r2', role: 'delta', ...cell, field_code: 'F', procedure_code: 'P', counts: { x: 1 } },
        ],
        format: 'JSONEachRow',
      });
      await clickhouse.command({
        query: `INSERT INTO kpi_stage_facts_v1 (run_id, role, sign, dossier_code, facts_version)
          VALUES ('r2', 'new', 1, 'H29.01-260105-0001', 7)`,
      });
      const value = { kpi: 'on_time_rate', scope_kind: 'city', scope_code: '', period_kind: 'month' };
      await clickhouse.insert({
        table: 'kpi_values_v1',
        values: [
          {
            ...value,
            period_start: '2026-01-01',
            numerator: 1,
            denominator: 2,
            computed_at: '2026-01-05 01:00:00',
          },
          {
            ...value,
            period_start: '2026-01-01',
            numerator: 2,
            denominator: 3,
            computed_at: '2026-01-05 09:00:00',
          },
        ],
        format: 'JSONEachRow',
      });
      await migrate(clickhouse);

      expect(await rows(clickhouse, 'SELECT DISTINCT layout FROM kpi_cycles_v1')).toEqual([{ layout: '' }]);
      expect(
        await rows(
          clickhouse,
          "SELECT gen, run_id FROM kpi_cycles_v1 WHERE state = 'abandoned' ORDER BY gen",
        ),
      ).toEqual([{ gen: 2, run_id: 'r2' }]);
      expect(await count(clickhouse, 'SELECT count() AS n FROM kpi_cells_v1')).toBe(0);
      expect(await count(clickhouse, "SELECT count() AS n FROM kpi_stage_cells_v1 WHERE run_id = 'r2'")).toBe(
        1,
      );
      expect(
        await rows(
          clickhouse,
          "SELECT dossier_code, facts_version FROM kpi_stage_facts_v1 WHERE run_id = 'r2'",
        ),
      ).toEqual([{ dossier_code: 'H29.01-260105-0001', facts_version: 7 }]);
      // History written before kpi_values_daily_v1 existed reaches it, thinned to the day's last change.
      expect(await rows(clickhouse, 'SELECT numerator, denominator FROM kpi_values_daily_v1 FINAL')).toEqual([
        { numerator: 2, denominator: 3 },
      ]);
    } finally {
      await ch.close();
    }
  });

  it('keep a generation staged before the upgrade finishable when only the scratch tables changed', async () => {
    const ch = await createTestClickHouse({ migrate: false });
    const { clickhouse } = ch;
    try {
      await migrateAsBeforeChecksums(clickhouse, await migrationsAt('6debe42', 24));
      await clickhouse.command({
        query: `INSERT INTO kpi_stage_cells_v1 (run_id, role, period_kind, period_start, c01, c32)
          VALUES ('r2', 'delta', 'month', '2026-01-01', 5, -1)`,
      });
      await migrate(clickhouse);
      expect(await rows(clickhouse, "SELECT c01, c32 FROM kpi_stage_cells_v1 WHERE run_id = 'r2'")).toEqual([
        { c01: 5, c32: -1 },
      ]);
      expect(
        await count(clickhouse, "SELECT count() AS n FROM kpi_cycles_v1 WHERE state = 'abandoned'"),
      ).toBe(0);
    } finally {
      await ch.close();
    }
  });
});
