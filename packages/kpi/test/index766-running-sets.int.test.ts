// The Decision 766 running path's procedure sets (running-deltas.ts setAdditionsSource, nextInputsSql): a
// procedure whose per-unit count grew is added to the sets lacking it, with no count read; only a key
// whose count fell has its counts read (kpi_scope_procedures_v1 and the live cells), and leaves a set
// (the inputs read anew) only when that count is 0 now. Here a unit's online dossiers of one procedure
// move to another one by one: the first move takes the old procedure's count from 2 to 1 (no set moves,
// the path goes on from the previous inputs), the second to 0 (the unit's service leaves its used
// services). After every cycle the values equal the statement's from the same state.
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { verifyKpiState } from '../src/index.ts';
import { FROM_INPUTS, FROM_PREVIOUS, runningPath, STATEMENT } from './index766-running-support.ts';
import { agency, dossierEvent, dossierEvents, insertCatalog, procedure, ts } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;
const { json, cycle, expectAsTheStatement } = runningPath(() => clickhouse);

const events = (rows: ReturnType<typeof dossierEvents>) =>
  clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });

/** COMM's online dossier ON-`n` (received 2026-03-09 0n:00), moved to procedure P-1 at `at` (2026-03-10). */
const toP1 = (n: number, at: string) =>
  events([
    dossierEvent(`ON-${n}`, 'processing', `2026-03-10 ${at}`, {
      agency_code: 'COMM',
      procedure_code: 'P-1',
      channel: 'online',
      received_at: ts(`2026-03-09 0${n}:00`),
    }),
  ]);

/** The month's used services (numerator/denominator) of COMM and of the city. */
async function servicesUsed(): Promise<string[]> {
  const rows = await json<{ v: string }>(
    `SELECT concat(toString(scope_kind), ':', scope_code, ' ', toString(numerator), '/', toString(denominator)) AS v
    FROM kpi_latest WHERE kpi = 'index766.online_service.services_used' AND period_kind = 'month'
      AND period_start = '2026-03-01' AND scope_code IN ('', 'COMM') ORDER BY v`,
  );
  return rows.map((r) => r.v);
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertCatalog(
    clickhouse,
    [agency('PROV', 'province'), agency('COMM', 'commune', { parent_code: 'PROV' })],
    [
      procedure('P-1', { agency_code: 'COMM', online_class: 'full', admin_levels: ['commune'] }),
      procedure('P-2', { agency_code: 'COMM', online_class: 'full', admin_levels: ['commune'] }),
    ],
  );
  await events(
    ['ON-1', 'ON-2'].flatMap((code, i) =>
      dossierEvents({
        code,
        agency: 'COMM',
        procedure: 'P-2',
        channel: 'online',
        received: `2026-03-09 0${i + 1}:00`,
        due: '2026-03-12 00:00',
      }),
    ),
  );
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the Decision 766 running path’s procedure sets', () => {
  it(
    'reads the counts of the keys that fell only, and leaves the path when a set loses a procedure',
    async () => {
      expect((await cycle('02:00')).result.mode).toBe('rebuild');
      expect(await servicesUsed()).toEqual(['agency:COMM 1/2', 'city: 1/2']);

      // ON-1 moves to P-1: (COMM, P-2) received online falls 2 -> 1 and stays in the set, (COMM, P-1) grows
      // 0 -> 1 and joins it. A path that did not read the fallen key's counts would leave for the inputs
      // read anew; one that did not add the grown key would score 1/2.
      await toP1(1, '02:10');
      const moved = await cycle('02:30');
      expect(moved.result.dossiersRefreshed).toBe(1);
      expect(moved.labels).toContain(FROM_PREVIOUS);
      expect(moved.labels).not.toContain(FROM_INPUTS);
      expect(moved.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(moved);
      expect(await servicesUsed()).toEqual(['agency:COMM 2/2', 'city: 2/2']);

      // ON-2 follows: (COMM, P-2) falls 1 -> 0, COMM|P-2 leaves the used services (inputs read anew).
      await toP1(2, '02:40');
      const left = await cycle('02:50');
      expect(left.labels).toContain(FROM_INPUTS);
      expect(left.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(left);
      expect(await servicesUsed()).toEqual(['agency:COMM 1/2', 'city: 1/2']);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
    },
    SLOW,
  );
});
