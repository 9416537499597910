// On a new city day the procedure KPIs (read from the catalog snapshot as of the period's last day, or
// today while it runs) are recomputed only where that snapshot can have moved: the periods begun since
// the last cycle, and the one it ran in when a catalog row's validity starts or ends in between. With no
// such row a day rollover recomputes them for the new day alone. At the end a recomputation of every
// period from scratch must write nothing.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;
const DAY_ONLY = 'kpi_stage_values_v1 <- procedure day';
const EVERY_KIND = 'kpi_stage_values_v1 <- procedure day+month+quarter+year';

let test: TestClickHouse;
let clickhouse: ClickHouse;

/** The statements of a cycle at `now` (UTC; the city day starts at 17:00 UTC the day before). */
async function cycle(now: string): Promise<string[]> {
  const labels: string[] = [];
  await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `${now}:00.000`,
    graceMs: 0,
    trace: (label) => labels.push(label),
  });
  return labels;
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('PROV', 'province'), agency('DIST', 'district')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-1', { agency_code: 'PROV', online_class: 'full', fee_bearing: 1 }),
      // Applied from city day 2026-03-12 until 2026-03-18 (exclusive).
      procedure('P-2', {
        agency_code: 'DIST',
        online_class: 'partial',
        admin_levels: ['district'],
        valid_from: '2026-03-12',
        valid_to: '2026-03-18',
      }),
      // P-1 no longer online nor fee-bearing from city day 2026-03-14.
      procedure('P-1', { agency_code: 'PROV', online_class: 'none', valid_from: '2026-03-14' }),
    ],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: [
      dossierEvents({
        code: 'OPEN',
        agency: 'PROV',
        procedure: 'P-1',
        received: '2026-03-09 02:00',
        due: '2026-03-11 05:00',
      }),
      dossierEvents({
        code: 'DONE',
        agency: 'DIST',
        procedure: 'P-1',
        received: '2026-03-02 02:00',
        due: '2026-03-05 00:00',
        finished: { at: '2026-03-04 20:00', kind: 'resolved' },
      }),
    ].flat(),
    format: 'JSONEachRow',
  });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('procedure KPIs on a new city day', () => {
  it(
    'are recomputed for the periods whose catalog snapshot can have moved only',
    async () => {
      await cycle('2026-03-10 02:00');
      // City day 03-11: no catalog row starts or ends; the new day only.
      const day11 = await cycle('2026-03-10 18:00');
      // City day 03-12: P-2 starts applying, so the running month, quarter and year move too.
      const day12 = await cycle('2026-03-11 18:00');
      const day13 = await cycle('2026-03-12 18:00');
      // City day 03-14: P-1's new version.
      const day14 = await cycle('2026-03-13 18:00');
      // Stopped until city day 03-17: every elapsed day is new; nothing starts or ends up to then.
      const day17 = await cycle('2026-03-16 18:00');
      // Stopped until 03-20: P-2's validity ended on 03-18 in between.
      const day20 = await cycle('2026-03-19 18:00');

      // First the values: every value of every period equals a recomputation from scratch at the same
      // instant; then what each cycle recomputed.
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
      const rebuilt = await backfillKpis(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        fromDate: '2026-01-01',
        toDate: '2026-03-20',
        now: '2026-03-19 18:00:00.000',
      });
      expect(rebuilt.rowsWritten).toBe(0);
      const recomputed = (labels: string[]) =>
        labels.includes(EVERY_KIND) ? 'every kind' : labels.includes(DAY_ONLY) ? 'days' : 'none';
      expect([day11, day12, day13, day14, day17, day20].map(recomputed)).toEqual([
        'days',
        'every kind',
        'days',
        'every kind',
        'days',
        'every kind',
      ]);
    },
    SLOW,
  );
});
