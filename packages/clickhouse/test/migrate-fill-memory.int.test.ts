import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { type ClickHouse, createClickHouse, MIGRATIONS_DIR, migrate } from '../src/index.ts';

// 0235 fills `dossier_state_v1` (an AggregatingMergeTree) from the stored events of every open dossier.
// With the default insert squashing (about a million rows a block) its block of aggregate states grew with
// the open dossiers and failed the pipeline's 2.70 GiB share on a 10M-dossier history, so the upgrade
// could not start. Here 200,000 open dossiers are stored before 0235 and the migrations then run under a
// 800 MiB limit: the old runner fails (so do blocks of 65,536 rows), blocks of 8,192 rows pass.
const OPEN_DOSSIERS = 200_000;
const LIMIT_BYTES = 800 * 1024 * 1024;

let test: TestClickHouse;
let limited: ClickHouse;
let dir: string;
beforeAll(async () => {
  test = await createTestClickHouse({ migrate: false });
  dir = await mkdtemp(join(tmpdir(), 'dossier-migrate-fill-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (Number(name.slice(0, 4)) < 235) await cp(join(MIGRATIONS_DIR, name), join(dir, name));
  }
  await migrate(test.clickhouse, { dir });
  await test.clickhouse.command({
    query: `INSERT INTO dossier_events_v1 (event_id, kind, dossier_code, agency_code, occurred_at, version, received_at, due_at)
            SELECT concat('E-', toString(number)), 'received', concat('HCM-', leftPad(toString(number), 10, '0')), 'AG1',
                   toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number),
                   1, toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number),
                   toDateTime64('2026-11-01 00:00:00', 3, 'UTC') + toIntervalSecond(number)
            FROM numbers({n:UInt64})`,
    query_params: { n: OPEN_DOSSIERS },
  });
  limited = await createClickHouse({
    url: test.url,
    application: 'dossier-tests',
    settings: { max_memory_usage: String(LIMIT_BYTES) },
  });
}, 180_000);
afterAll(async () => {
  await limited?.close();
  await test?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a fill migration on a large history', () => {
  it('applies 0235 over 200,000 open dossiers within an 800 MiB statement limit', async () => {
    const applied = await migrate(limited);
    expect(applied).toContain('0235_fill_dossier_state_due_history.sql');
    const [row] = await (
      await limited.query({
        query:
          'SELECT count() AS n FROM (SELECT dossier_code FROM dossier_state_v1 FINAL WHERE notEmpty(due_history.1))',
        format: 'JSONEachRow',
      })
    ).json<{ n: string | number }>();
    expect(Number(row?.n)).toBe(OPEN_DOSSIERS);
  }, 180_000);
});
