// Cluster mode cannot run here (no Keeper, no second server), but every statement it would send must
// parse in the engine: each migration rendered for a cluster goes through ClickHouse's own parser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { loadMigrations, REPLICA_PATH, renderForCluster } from '../src/index.ts';
import { SCHEMA_MIGRATIONS_DDL } from '../src/migrate.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse({ migrate: false });
});
afterAll(async () => {
  await ch?.close();
});

/** The statement as ClickHouse's parser reads it back (formatQuery refuses anything but one statement). */
async function parsed(sql: string): Promise<string> {
  const result = await ch.clickhouse.query({
    query: 'SELECT formatQuery({sql:String}) AS f',
    query_params: { sql },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ f: string }>();
  return row?.f ?? '';
}

const migrations = await loadMigrations();

describe('migrations rendered for a cluster', () => {
  it.each(migrations.map((m) => [m.name, m] as const))('%s parses as one statement', async (_name, m) => {
    const statement = await parsed(renderForCluster(m.sql, 'dossier'));
    if (/^(CREATE|ALTER|DROP|RENAME|EXCHANGE|TRUNCATE)\b/.test(statement)) {
      expect(statement).toMatch(/ ON CLUSTER dossier\b/);
    }
    for (const engine of statement.matchAll(/ENGINE = (\w+)/g)) {
      if (/MergeTree$/.test(engine[1] ?? '')) {
        expect(engine[1]).toMatch(/^Replicated/);
        expect(statement).toContain(`('${REPLICA_PATH}', '{replica}'`);
      }
    }
    expect(statement).not.toMatch(/non_replicated_deduplication_window/);
    if (m.onlyIf) expect(await parsed(m.onlyIf)).toMatch(/^SELECT /);
  });

  it.each(SCHEMA_MIGRATIONS_DDL.map((sql) => [sql.split('\n')[0], sql] as const))(
    "the runner's own %s parses",
    async (_head, sql) => {
      expect(await parsed(renderForCluster(sql, 'dossier'))).toMatch(
        /^(CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER dossier[\s\S]*ENGINE = ReplicatedReplacingMergeTree|ALTER TABLE schema_migrations ON CLUSTER dossier)/,
      );
    },
  );
});
