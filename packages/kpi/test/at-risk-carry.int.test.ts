import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, MIGRATIONS_DIR, migrate } from '@dossier/clickhouse';
import { formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  CARRY_AT_RISK_OPEN_SQL,
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  verifyKpiState,
} from '../src/index.ts';
import { agency, type DossierSpec, dossierEvents, procedure } from './kpi-fixtures.ts';

// A database whose at-risk list is still dossiers_at_risk_open_v1 (rows written by the text before
// 0224-0227: a received supplement's receipt kept at its request, 0222's view) brought to v2 by the
// migrations, with a start-up killed inside 0225 after part of its rows were stored: the rows end up
// exactly once with their real receipts, the view judges them by the re-issued appointment.

let test: TestClickHouse;
let clickhouse: ClickHouse;
let dir: string;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => formatUtc(ms);
const CARRIED = ['0225_fill_dossiers_at_risk_open_v2.sql', '0226_replace_dossiers_at_risk_view.sql'];
const DROPPED = '0227_drop_dossiers_at_risk_open_v1.sql';

async function rows<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

beforeAll(async () => {
  test = await createTestClickHouse({ migrate: false });
  clickhouse = test.clickhouse;
  // Every migration but the three that carry the list to v2 (0224, creating v2 empty, runs: the KPI cycle
  // below writes there; an older database did the same into v1, which is rebuilt from it below).
  dir = await mkdtemp(join(tmpdir(), 'dossier-at-risk-carry-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (!CARRIED.includes(name) && name !== DROPPED) await cp(join(MIGRATIONS_DIR, name), join(dir, name));
  }
  await migrate(clickhouse, { dir });
});
afterAll(async () => {
  await test?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migrations 0224-0227 (dossiers_at_risk_open_v1 to v2)', () => {
  it('carry every open row once with its real supplement receipt, after a start-up killed inside 0225', async () => {
    const now = Date.now();
    await clickhouse.insert({
      table: 'agencies_v1',
      values: [agency('SO-TNMT', 'province')],
      format: 'JSONEachRow',
    });
    await clickhouse.insert({
      table: 'procedures_v1',
      values: [procedure('P-LAND', {})],
      format: 'JSONEachRow',
    });
    const received = at(now - 20 * DAY);
    const specs: DossierSpec[] = [
      // Received two hours ago after a three-day wait; the appointment re-issued by the wait: due in 3 days.
      {
        code: 'A-RECEIVED',
        received,
        due: at(now - HOUR),
        supplements: { requested: [at(now - 3 * DAY)], received: [at(now - 2 * HOUR)] },
        dueAfterSupplement: at(now + 3 * DAY),
      },
      // The same, its new appointment passed an hour ago: overdue, though it waited five days.
      {
        code: 'B-RECEIVED-LATE',
        received,
        due: at(now - 6 * DAY),
        supplements: { requested: [at(now - 6 * DAY)], received: [at(now - DAY)] },
        dueAfterSupplement: at(now - HOUR),
      },
      {
        code: 'C-WAITING',
        received,
        due: at(now + DAY),
        supplements: { requested: [at(now - HOUR)], received: [] },
      },
      { code: 'D-PLAIN', received, due: at(now + 10 * DAY) },
      { code: 'E-LATE', received, due: at(now - DAY) },
    ];
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: specs.flatMap(dossierEvents),
      format: 'JSONEachRow',
    });
    await runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now: formatUtc(now),
      graceMs: 0,
    });

    // The database as the text before 0224 left it: v1's rows with the receipt kept at the request, one
    // dossier's earlier row and its cancelling copy not yet merged, v2 empty, 0222's view.
    const collapsed = `if(length(supplement_requested_at) = 1 AND length(supplement_received_at) >= 1,
      arrayConcat([least(supplement_received_at[1], supplement_requested_at[1])], arraySlice(supplement_received_at, 2)),
      supplement_received_at)`;
    const columns = `dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
      due_at, due_day, supplement_requested_at`;
    await clickhouse.command({
      query: `INSERT INTO dossiers_at_risk_open_v1 (${columns}, supplement_received_at, sign)
        SELECT ${columns}, ${collapsed}, sign FROM dossiers_at_risk_open_v2
        UNION ALL
        SELECT dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
          due_at - INTERVAL 1 DAY, due_day - 1, supplement_requested_at, ${collapsed}, toInt8(s)
        FROM dossiers_at_risk_open_v2 ARRAY JOIN [1, -1] AS s WHERE dossier_code = 'A-RECEIVED'`,
    });
    await clickhouse.command({ query: 'TRUNCATE TABLE dossiers_at_risk_open_v2' });
    const stored = await rows<{ code: string; received: string[] }>(
      `SELECT dossier_code AS code, arrayMap(x -> toString(x), supplement_received_at) AS received
       FROM dossiers_at_risk_open_v1 WHERE sign = 1 AND dossier_code = 'A-RECEIVED' ORDER BY due_day DESC LIMIT 1`,
    );
    expect(stored).toEqual([{ code: 'A-RECEIVED', received: [at(now - 3 * DAY)] }]);

    // Killed inside 0225: the statement stored part of its rows, then start-up stopped before recording it.
    await clickhouse.command({ query: CARRY_AT_RISK_OPEN_SQL });
    await clickhouse.command({
      query:
        "ALTER TABLE dossiers_at_risk_open_v2 DELETE WHERE dossier_code IN ('B-RECEIVED-LATE', 'D-PLAIN')",
      clickhouse_settings: { mutations_sync: '2' },
    });
    const partial = await rows<{ n: string }>('SELECT toString(count()) AS n FROM dossiers_at_risk_open_v2');
    expect(Number(partial[0]?.n)).toBe(3);

    // The next start-up applies 0225 (again), 0226 and 0227.
    for (const name of [...CARRIED, DROPPED]) await cp(join(MIGRATIONS_DIR, name), join(dir, name));
    expect(await migrate(clickhouse, { dir })).toEqual([...CARRIED, DROPPED]);

    const carried = await rows<{ code: string; n: string; received: string[] }>(
      `SELECT dossier_code AS code, toString(sum(sign)) AS n,
         arrayMap(x -> toString(x), any(supplement_received_at)) AS received
       FROM dossiers_at_risk_open_v2 GROUP BY dossier_code ORDER BY dossier_code`,
    );
    expect(carried).toEqual([
      { code: 'A-RECEIVED', n: '1', received: [at(now - 2 * HOUR)] },
      { code: 'B-RECEIVED-LATE', n: '1', received: [at(now - DAY)] },
      { code: 'C-WAITING', n: '1', received: [] },
      { code: 'D-PLAIN', n: '1', received: [] },
      { code: 'E-LATE', n: '1', received: [] },
    ]);
    // Exactly what a rebuild would write from the open facts, and v1 is gone.
    expect(await verifyKpiState(clickhouse)).toMatchObject({ atRiskDiffering: 0, openFactsDiffering: 0 });
    const v1 = await rows(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'dossiers_at_risk_open_v1'",
    );
    expect(v1).toEqual([]);
    const view = await rows<{ dossier_code: string; state: string; working_days_left: string }>(
      'SELECT dossier_code, state, working_days_left FROM dossiers_at_risk_v1 ORDER BY dossier_code',
    );
    expect(view.map((r) => [r.dossier_code, r.state])).toEqual([
      ['A-RECEIVED', expect.stringMatching(/^(due_soon|on_track)$/)],
      ['B-RECEIVED-LATE', 'overdue'],
      ['C-WAITING', 'waiting_applicant'],
      ['D-PLAIN', 'on_track'],
      ['E-LATE', 'overdue'],
    ]);
    // A's deadline is its re-issued appointment, three days out: the three-day wait is not added again.
    expect(Number(view[0]?.working_days_left)).toBeLessThanOrEqual(3);
    const migrated = await readFile(join(dir, CARRIED[0]!), 'utf8');
    expect(migrated).toBe(`${CARRY_AT_RISK_OPEN_SQL}\n`);
  });
});
