// A cycle on the next city day settles the day that ended as one row per open dossier and day (kpi-cycle.ts
// STRETCHED_DAYS), not in stretches, and across one midnight with the month and quarter that ended at it in
// one pass (generation.sql.ts stageSettledAtMidnightSql): its cells must equal the day-by-day recomputation
// (verifyKpiState) with instants on the midnight it crosses, a millisecond after it and inside the day, with
// and without new events, over a month's and a quarter's end, with a dossier finished before the day that
// ended (kind by kind); and its live cells (sql/live-cells.sql.ts liveCellsSql, each aggregate named once)
// the open dossiers'.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { type DossierEventRow, parseUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { type DossierSpec, dossierEvents, insertSettlingCatalog } from './kpi-fixtures.ts';

const SLOW = 600_000;
let test: TestClickHouse;
let clickhouse: ClickHouse;

// City midnight is 17:00 UTC the day before: '2026-03-30 17:00' is the start of 31 March in the city.
const DOSSIERS: DossierSpec[] = [
  {
    code: 'DUE-MIDNIGHT',
    agency: 'PROV',
    procedure: 'P-5',
    received: '2026-03-20 03:00',
    due: '2026-03-30 17:00',
  },
  {
    code: 'DUE-AFTER',
    agency: 'COMM',
    procedure: 'P-5',
    channel: 'online',
    received: '2026-03-21 17:00',
    due: '2026-03-31 17:00:00.001',
  },
  { code: 'LEGAL-MAX', agency: 'PROV', procedure: 'P-5', received: '2026-03-23 04:00' },
  {
    code: 'WAITING',
    agency: 'PROV',
    procedure: 'P-NONE',
    received: '2026-03-18 06:00',
    due: '2026-04-10 17:00',
    supplements: { requested: ['2026-03-30 17:00'], received: ['2026-04-01 17:00'] },
    dueAfterSupplement: '2026-04-12 17:00',
  },
  {
    code: 'TWO-REQUESTS',
    agency: 'COMM',
    procedure: 'P-5',
    received: '2026-03-19 05:00',
    due: '2026-04-10 17:00',
    supplements: { requested: ['2026-03-30 09:00', '2026-03-31 17:00'], received: [] },
  },
  {
    code: 'FINISHED-MIDNIGHT',
    agency: 'COMM',
    procedure: 'P-NONE',
    received: '2026-03-22 07:00',
    finished: { at: '2026-03-31 17:00', kind: 'resolved' },
    satisfied: 1,
  },
  {
    code: 'RECEIVED-MIDNIGHT',
    agency: 'PROV',
    procedure: 'P-5',
    received: '2026-03-31 17:00',
    due: '2026-04-03 17:00',
  },
  { code: 'OPEN-LONG', agency: 'COMM', procedure: 'P-NONE', received: '2025-12-01 02:00' },
];

const EVENTS = DOSSIERS.flatMap((spec) => dossierEvents(spec));

// Received after the cycle of 31 March (17:00 in the city) and before its midnight, finished on 29 March
// (skewed clocks): still open at that cycle's instant (not yet started), it has no day row from 31 March on
// but a month's and a quarter's row (finished in March), which the one pass over day rows would not count.
const FINISHED_BEFORE_RECEIPT = dossierEvents({
  code: 'FINISHED-BEFORE-RECEIPT',
  agency: 'PROV',
  procedure: 'P-5',
  received: '2026-03-31 12:00',
  finished: { at: '2026-03-29 05:00', kind: 'resolved' },
  satisfied: 1,
});
const happened = (from: string, to: string): DossierEventRow[] =>
  EVENTS.filter((e) => {
    const at = parseUtc(e.occurred_at);
    return at > parseUtc(`${from}:00.000`) && at <= parseUtc(`${to}:00.000`);
  });

async function cycle(now: string) {
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `${now}:00.000`,
    graceMs: 0,
    trace: (label) => labels.push(label),
  });
  return { result, labels };
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertSettlingCatalog(clickhouse);
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('a cycle on the next city day', () => {
  it(
    'settles the day that ended as the day-by-day recomputation does',
    async () => {
      const days = [
        '2026-03-29 10:00',
        '2026-03-30 10:00',
        '2026-03-31 10:00',
        '2026-04-01 10:00',
        '2026-04-02 10:00',
        // Three days at once, still one row per open dossier and day: a due time on a midnight among them.
        '2026-04-05 10:00',
        '2026-04-30 10:00',
        // April ended at the midnight this day crossed: settled with the day in one pass.
        '2026-05-01 10:00',
      ];
      // The statement that settled the day: across one midnight that ended a month the one pass (with the
      // kinds that ended there), else the day's own; on 1 April a dossier finished before 31 March stops it.
      const settledDay: Record<string, RegExp> = {
        '2026-03-30 10:00': /^kpi_stage_cells_v1 <- settled( \+ changed)? day$/,
        '2026-03-31 10:00': /^kpi_stage_cells_v1 <- settled( \+ changed)? day$/,
        '2026-04-01 10:00': /^kpi_stage_cells_v1 <- settled day$/,
        '2026-04-02 10:00': /^kpi_stage_cells_v1 <- settled( \+ changed)? day$/,
        '2026-04-05 10:00': /^kpi_stage_cells_v1 <- settled day$/,
        '2026-05-01 10:00': /^kpi_stage_cells_v1 <- settled at midnight day\+month$/,
      };
      let before = '2000-01-01 00:00';
      for (const [i, now] of days.entries()) {
        // Every other day the day's events come with it: changed dossiers beside the settled ones.
        if (i % 2 === 0) {
          const events = [...happened(before, now), ...(i === 2 ? FINISHED_BEFORE_RECEIPT : [])];
          if (events.length > 0) {
            await clickhouse.insert({ table: 'dossier_events_v1', values: events, format: 'JSONEachRow' });
          }
          before = now;
        }
        const { result, labels } = await cycle(now);
        expect(result.mode).toBe(i === 0 ? 'rebuild' : 'cycle');
        const settled = settledDay[now];
        if (settled)
          expect(
            labels.filter((l) => settled.test(l)),
            now,
          ).toHaveLength(1);
        if (now === '2026-04-01 10:00') {
          // A month and a quarter ended at the midnight this day crossed, settled kind by kind.
          expect(labels.some((l) => /^kpi_stage_cells_v1 <- settled month\+quarter\b/.test(l))).toBe(true);
        }
        expect(await verifyKpiState(clickhouse), now).toMatchObject({
          exact: true,
          cellsDiffering: { day: 0, month: 0, quarter: 0, year: 0 },
          scopeRowsDiffering: { cells: 0, procedures: 0 },
        });
      }
    },
    SLOW,
  );
});
