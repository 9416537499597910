// A cycle with new data in the same running periods starts from the previous generation's live cells
// (kpi-cycle.ts, sql/crossed.sql.ts): the open dossiers that crossed an instant and the changed ones are
// judged anew, and the current periods are recomputed for the scopes they moved in only. After each such
// cycle the state and every value must equal a recomputation from scratch at its instant.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvent, dossierEvents, procedure, ts } from './kpi-fixtures.ts';

const SLOW = 600_000;
const LIVE = 'kpi_stage_cells_v1 <- live';
/** The previous live cells written whole again: a chain adds the run's rows to them instead (0251). */
const FROM_PREVIOUS = 'kpi_stage_cells_v1 <- live + crossed';
const CHANGED = 'kpi_stage_cells_v1 <- crossed + changed';

let test: TestClickHouse;
let clickhouse: ClickHouse;

/** A cycle at `now` (UTC, city day 2026-03-10 throughout): its result and the labels of its statements. */
async function cycle(now: string) {
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `2026-03-10 ${now}:00.000`,
    graceMs: 0,
    trace: (label) => labels.push(label),
  });
  return { result, labels };
}

async function events(rows: ReturnType<typeof dossierEvents>) {
  await clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });
}

/** The city's Decision 766 progress of March (on time / dossiers of the period), as kpi_latest holds it. */
async function cityProgress() {
  const [row] = await (
    await clickhouse.query({
      query: `SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'index766.progress' AND scope_kind = 'city'
        AND period_kind = 'month' AND period_start = '2026-03-01'`,
      format: 'JSONEachRow',
    })
  ).json<{ numerator: string; denominator: string }>();
  return [Number(row?.numerator), Number(row?.denominator)];
}

/** The state equals its recomputation, and a rebuild of March at `now` writes no value. */
async function expectAsRecomputed(now: string) {
  expect(await verifyKpiState(clickhouse), `state at ${now}`).toMatchObject({ exact: true });
  const rebuilt = await backfillKpis(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    fromDate: '2026-03-01',
    toDate: '2026-03-10',
    now: `2026-03-10 ${now}:00.000`,
  });
  expect(rebuilt.mode).toBe('rebuild');
  expect(rebuilt.rowsWritten, `values after the cycle at ${now}`).toBe(0);
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [
      agency('PROV', 'province'),
      agency('COMM', 'commune', { parent_code: 'PROV' }),
      agency('DIST', 'district'),
    ],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-1', { agency_code: 'PROV', online_class: 'full', admin_levels: ['province'] }),
      procedure('P-2', { agency_code: 'DIST', fee_bearing: 1, admin_levels: ['district', 'commune'] }),
    ],
    format: 'JSONEachRow',
  });
  await events(
    [
      // Open, due at 05:00 UTC: on time until then, late after.
      dossierEvents({
        code: 'DUE',
        agency: 'PROV',
        procedure: 'P-1',
        received: '2026-03-09 01:00',
        due: '2026-03-10 05:00',
      }),
      // Open: finished by new data at 02:20.
      dossierEvents({
        code: 'ENDS',
        agency: 'COMM',
        procedure: 'P-2',
        channel: 'online',
        received: '2026-03-09 04:00',
        due: '2026-03-12 00:00',
        fee: 20_000,
      }),
      // Open in another unit: a supplement is requested for it by new data at 05:10.
      dossierEvents({
        code: 'ASKED',
        agency: 'DIST',
        procedure: 'P-2',
        received: '2026-03-09 03:00',
        due: '2026-03-11 00:00',
      }),
      dossierEvents({
        code: 'DONE',
        agency: 'PROV',
        procedure: 'P-1',
        received: '2026-03-09 02:00',
        due: '2026-03-12 00:00',
        finished: { at: '2026-03-09 20:00', kind: 'resolved' },
      }),
    ].flat(),
  );
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('a cycle with new data in the same running periods', () => {
  it(
    'starts from the previous live cells and leaves every value as a recomputation gives it',
    async () => {
      expect((await cycle('02:00')).result.mode).toBe('rebuild');
      const [onTime, dossiers] = await cityProgress();

      // A new online dossier with a fee paid online, and ENDS finishing on time.
      await events([
        ...dossierEvents({
          code: 'NEW',
          agency: 'COMM',
          procedure: 'P-2',
          channel: 'online',
          received: '2026-03-10 02:10',
          due: '2026-03-13 00:00',
          fee: 10_000,
          paidOnline: 1,
        }),
        dossierEvent('ENDS', 'resolved', '2026-03-10 02:20', {
          agency_code: 'COMM',
          procedure_code: 'P-2',
          finished_at: ts('2026-03-10 02:20'),
          finish_kind: 'resolved',
        }),
      ]);
      const arrived = await cycle('02:30');
      expect(arrived.result.dossiersRefreshed).toBe(2);
      expect(arrived.labels).toContain(CHANGED);
      expect(arrived.labels).not.toContain(FROM_PREVIOUS);
      expect(arrived.labels).not.toContain(LIVE);
      // The changed dossiers' cell deltas of every kind in one statement (each statement costs its planning).
      expect(arrived.labels.filter((l) => l.startsWith('kpi_stage_cells_v1 <- changed'))).toEqual([
        'kpi_stage_cells_v1 <- changed day+month+quarter+year',
      ]);
      // NEW joins March's population on time; ENDS, finished on time, stays in it.
      expect(await cityProgress()).toEqual([onTime! + 1, dossiers! + 1]);
      await expectAsRecomputed('02:30');

      // After the range rebuild the next cycle recomputes in full, and the one after is quiet.
      expect((await cycle('02:40')).labels).toContain(LIVE);
      expect((await cycle('02:50')).result.periodsRecomputed).toBe(0);

      // DUE's due time passes while new data asks ASKED for a supplement (it stays open).
      await events([
        dossierEvent('ASKED', 'supplement_requested', '2026-03-10 05:10', {
          agency_code: 'DIST',
          procedure_code: 'P-2',
          supplement_requested_at: [ts('2026-03-10 05:10')],
        }),
      ]);
      const crossedAndChanged = await cycle('05:30');
      expect(crossedAndChanged.result.dossiersRefreshed).toBe(1);
      expect(crossedAndChanged.labels).toContain(CHANGED);
      expect(crossedAndChanged.labels).not.toContain(LIVE);
      // DUE turns late.
      expect(await cityProgress()).toEqual([onTime!, dossiers! + 1]);
      await expectAsRecomputed('05:30');
    },
    SLOW,
  );

  it(
    'writes back as zero the values of a scope its dossiers all left, though no cell of it is left to read',
    async () => {
      const dist = `SELECT toUInt64(sum(denominator)) AS n FROM kpi_latest WHERE kpi = 'on_time_rate'
        AND scope_kind = 'agency' AND scope_code = 'DIST' AND period_kind = 'month' AND period_start = '2026-03-01'`;
      const denominator = async () =>
        Number(
          (await (await clickhouse.query({ query: dist, format: 'JSONEachRow' })).json<{ n: string }>())[0]
            ?.n,
        );
      // After the last test's range rebuild, a cycle in full: the next one starts from its live cells.
      expect((await cycle('05:35')).labels).toContain(LIVE);
      expect(await denominator()).toBe(1);
      // ASKED, DIST's only dossier, moves to COMM: DIST's cells cancel out (a merge drops them) and it has no
      // live cell left, yet its values must go to 0/0 (the stage flags the scope from the run's staged rows).
      await events([
        dossierEvent('ASKED', 'processing', '2026-03-10 05:40', {
          agency_code: 'COMM',
          procedure_code: 'P-2',
        }),
      ]);
      const moved = await cycle('05:50');
      expect(moved.result.dossiersRefreshed).toBe(1);
      expect(moved.labels).toContain(CHANGED);
      expect(moved.labels).not.toContain(LIVE);
      expect(await denominator()).toBe(0);
      await expectAsRecomputed('05:50');
    },
    SLOW,
  );
});
