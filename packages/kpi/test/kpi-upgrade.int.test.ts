// A database created with the first texts of 0020/0023/0024 (cells as a `counts` map, no layout in the
// cycle log), holding KPI state and a generation claimed moments before the upgrade: after migrating,
// the next cycle rebuilds every cell from the facts instead of waiting for or finishing that generation.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { migrate } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { migrateAsBeforeChecksums, migrationsAt } from '../../clickhouse/test/old-databases.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import {
  AGENCIES,
  BOUNDARY_DOSSIERS,
  MARCH_DOSSIERS,
  NOW,
  PROCEDURES,
  scenarioEvents,
} from './kpi-scenario.ts';

let test: TestClickHouse;
let oldTexts = '';

beforeAll(async () => {
  test = await createTestClickHouse({ migrate: false });
  const { clickhouse } = test;
  oldTexts = await migrationsAt('4e7a3f5', 24);
  await migrateAsBeforeChecksums(clickhouse, oldTexts);
  await clickhouse.insert({ table: 'agencies_v1', values: AGENCIES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: PROCEDURES, format: 'JSONEachRow' });
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: scenarioEvents([...MARCH_DOSSIERS, ...BOUNDARY_DOSSIERS]),
    format: 'JSONEachRow',
  });
  const at = { judged_at: '2026-02-14 00:00:00', window_to: '2026-02-14 00:00:00', day_floor: '1970-01-01' };
  await clickhouse.insert({
    table: 'kpi_cycles_v1',
    values: [
      { gen: 1, run_id: 'old-1', kind: 'rebuild', state: 'staged', ...at },
      { gen: 1, run_id: 'old-1', kind: 'rebuild', state: 'committed', ...at },
      { gen: 2, run_id: 'old-2', kind: 'cycle', state: 'staged', ...at },
    ],
    format: 'JSONEachRow',
  });
  await clickhouse.command({
    query: `INSERT INTO kpi_cells_v1 VALUES ('month', '2025-03-01', 'province', 'SO-TNMT', 'F', 'P', {'x:n': 99})`,
  });
  await migrate(clickhouse);
});

afterAll(async () => {
  await test?.close();
  if (oldTexts) await rm(oldTexts, { recursive: true, force: true });
});

describe('KPI state of a database created with the first cell layout', () => {
  it('is rebuilt by the first cycle after the upgrade, exactly', async () => {
    const { clickhouse } = test;
    const run = await runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now: NOW,
      graceMs: 0,
    });
    expect(run.mode).toBe('rebuild');
    const result = await clickhouse.query({
      query: `SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'online_resolution_rate'
        AND scope_kind = 'city' AND period_kind = 'month' AND period_start = '2025-03-01'`,
      format: 'JSONEachRow',
    });
    expect(
      (await result.json<{ numerator: unknown; denominator: unknown }>()).map((r) => [
        Number(r.numerator),
        Number(r.denominator),
      ]),
    ).toEqual([[5, 10]]);
    expect((await verifyKpiState(clickhouse)).exact).toBe(true);
    // A rebuild and a verification of every cell: past 120 s when the shared machine is at load 20-30.
  }, 600_000);
});
