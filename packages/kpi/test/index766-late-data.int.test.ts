// Late data in a past period (a period only 'touched' by changed dossiers): the Decision 766 index is
// recomputed there for the city and the chain of each agency whose cells changed, not for every unit
// (index766KeysSql). The restriction must lose nothing: every unit of the chain moves, the units off
// it keep their values, and a recomputation from scratch afterwards writes no value. When the late data
// moves half the catalog's agencies or more, the filter is not taken (index766Keyed): every unit is
// recomputed there, and only the values that moved are written.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;

const cycle = (runId: string, now: string) =>
  runKpiCycle(clickhouse, {
    runId,
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `2026-03-10 ${now}:00.000`,
    graceMs: 0,
  });

/** Every period recomputed from scratch on 2026-03-10 at `now`: it writes only values the cycles left wrong. */
const rebuildAt = (now: string) =>
  backfillKpis(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    fromDate: '2026-01-01',
    toDate: '2026-03-10',
    now: `2026-03-10 ${now}:00.000`,
  });

async function json<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** January's Decision 766 scopes a run staged values for, or wrote values of, as `kind:code`. */
async function januaryScopes(table: 'staged' | 'written', runId: string): Promise<string[]> {
  const source =
    table === 'staged'
      ? 'kpi_stage_values_v1 WHERE startsWith(values_id, {prefix:String})'
      : 'kpi_values_v1 WHERE run_id = {run_id:String}';
  const rows = await json<{ scope: string }>(
    `SELECT DISTINCT concat(toString(scope_kind), ':', scope_code) AS scope FROM ${source}
      AND kpi LIKE 'index766%' AND period_kind = 'month' AND period_start = '2026-01-01' ORDER BY scope`,
    { prefix: `${runId}:index766:`, run_id: runId },
  );
  return rows.map((r) => r.scope);
}

const finished = (code: string, agencyCode: string, day: string) =>
  dossierEvents({
    code,
    agency: agencyCode,
    procedure: 'P-1',
    received: `2026-01-${day} 01:00`,
    due: `2026-01-${day} 09:00`,
    finished: { at: `2026-01-${day} 03:00`, kind: 'resolved' },
  });

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  // PROV ← DEPT ← COMM and PROV ← DEPT2 ← COMM2: late data at COMM moves COMM, DEPT, PROV and the city.
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [
      agency('PROV', 'province'),
      agency('DEPT', 'province', { parent_code: 'PROV' }),
      agency('COMM', 'commune', { parent_code: 'DEPT' }),
      agency('DEPT2', 'province', { parent_code: 'PROV' }),
      agency('COMM2', 'commune', { parent_code: 'DEPT2' }),
      agency('OTHER', 'province'),
    ],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [procedure('P-1', { agency_code: 'PROV', online_class: 'full', admin_levels: ['commune'] })],
    format: 'JSONEachRow',
  });
  const dossiers = [
    finished('J-COMM', 'COMM', '05'),
    finished('J-COMM2', 'COMM2', '05'),
    finished('J-DEPT2', 'DEPT2', '06'),
    finished('J-OTHER', 'OTHER', '06'),
    dossierEvents({ code: 'M-COMM2', agency: 'COMM2', procedure: 'P-1', received: '2026-03-09 01:00' }),
  ].flat();
  await clickhouse.insert({ table: 'dossier_events_v1', values: dossiers, format: 'JSONEachRow' });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('late data in a past period and the Decision 766 index', () => {
  it(
    "recomputes the city and the agency's chain there, and a rebuild afterwards writes no value",
    async () => {
      expect((await cycle(randomUUID(), '02:00')).mode).toBe('rebuild');
      const before = await json<{ scope: string }>(
        `SELECT DISTINCT concat(toString(scope_kind), ':', scope_code) AS scope FROM kpi_latest
          WHERE kpi LIKE 'index766%' AND period_kind = 'month' AND period_start = '2026-01-01' ORDER BY scope`,
      );
      // Every unit has January values, so a cycle recomputing every scope would stage all of them.
      expect(before.map((r) => r.scope)).toEqual([
        'agency:COMM',
        'agency:COMM2',
        'agency:DEPT',
        'agency:DEPT2',
        'agency:OTHER',
        'agency:PROV',
        'city:',
      ]);

      // A dossier of COMM finished in January arrives late, in March.
      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: finished('LATE', 'COMM', '07'),
        format: 'JSONEachRow',
      });
      const runId = randomUUID();
      const late = await cycle(runId, '02:30');
      expect(late).toMatchObject({ mode: 'cycle', dossiersRefreshed: 1 });
      const chain = ['agency:COMM', 'agency:DEPT', 'agency:PROV', 'city:'];
      expect(await januaryScopes('staged', runId)).toEqual(chain);
      // Its population moves every unit of the chain (progress counts it).
      expect(await januaryScopes('written', runId)).toEqual(chain);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });

      const rebuilt = await rebuildAt('02:30');
      expect(rebuilt.mode).toBe('rebuild');
      expect(rebuilt.periodsRecomputed).toBeGreaterThan(0);
      expect(rebuilt.rowsWritten).toBe(0);
    },
    SLOW,
  );

  it(
    'recomputes every unit there when the late data moves half the agencies, and writes only what moved',
    async () => {
      // Three of the six agencies move in January: the keys filter would keep all but OTHER's scope.
      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: [
          finished('LATE-2', 'COMM2', '08'),
          finished('LATE-3', 'DEPT2', '09'),
          finished('LATE-4', 'COMM', '10'),
        ].flat(),
        format: 'JSONEachRow',
      });
      const runId = randomUUID();
      expect(await cycle(runId, '02:45')).toMatchObject({ mode: 'cycle', dossiersRefreshed: 3 });
      const moved = ['agency:COMM', 'agency:COMM2', 'agency:DEPT', 'agency:DEPT2', 'agency:PROV', 'city:'];
      expect(await januaryScopes('staged', runId)).toEqual([...moved, 'agency:OTHER'].sort());
      // OTHER's values, recomputed from inputs that did not move, equal the stored ones: none written.
      expect(await januaryScopes('written', runId)).toEqual(moved);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
      const rebuilt = await rebuildAt('02:45');
      expect(rebuilt.rowsWritten).toBe(0);
    },
    SLOW,
  );
});
