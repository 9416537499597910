// The Decision 766 running path recomputes only the scopes whose inputs a cycle's staged rows can move
// (index766/running-deltas.ts movedAgenciesSql): an agency whose rows sum to 0 on every Decision 766 counter
// moves none, and a cycle with no such agency only marks the chain (no inputs read, no values written).
// Due times crossing by dossiers the index does not count (submitted, never received) move nothing; a
// received dossier crossing its due time moves the progress component of its unit's chain and the city.
// Of the moved scopes only the values that differ from the previous generation's are written, straight
// from the client (a submitted dossier moves its unit's rows and no value: nothing is written); a generation that moved
// nothing is not in the chain the next one stands on. After each cycle every Decision 766 value of the running periods must equal the statement's.
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { verifyKpiState } from '../src/index.ts';
import { FROM_INPUTS, FROM_PREVIOUS, runningPath, STATEMENT } from './index766-running-support.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;
const MOVED = 'index766 running: moved';

let test: TestClickHouse;
let clickhouse: ClickHouse;
const { json, cycle, stored, expectAsTheStatement } = runningPath(() => clickhouse);
const WRITE = 'kpi_values_v1 <- index766 month+quarter+year';
const DIRECT = 'index766 running: write changed values';

/** The Decision 766 values a run staged and those it wrote. */
async function stagedAndWritten(runId: string) {
  const [row] = await json<{ staged: string; written: string }>(
    `SELECT (SELECT count() FROM kpi_stage_values_v1 WHERE values_id = {values_id:String}) AS staged,
      (SELECT count() FROM kpi_values_v1 WHERE run_id = {run_id:String} AND startsWith(kpi, 'index766'))
        AS written`,
    { values_id: `${runId}:index766:month+quarter+year`, run_id: runId },
  );
  return { staged: Number(row?.staged), written: Number(row?.written) };
}

const events = (rows: ReturnType<typeof dossierEvents>) =>
  clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });

/** The progress component's numerator per scope of the running month, from `values`. */
const progress = (values: Record<string, unknown>[]) =>
  Object.fromEntries(
    values
      .filter((v) => v.kpi === 'index766.progress' && v.period_kind === 'month')
      .map((v) => [`${v.scope_kind}:${v.scope_code}`, Number(v.numerator)]),
  );

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  // PROV ← COMM, and DIST on its own.
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
      procedure('P-2', { agency_code: 'DIST', fee_bearing: 1, admin_levels: ['district', 'commune'] }),
    ],
    format: 'JSONEachRow',
  });
  await events(
    [
      // Submitted online, never received: the index does not count it, the dossier KPIs judge its due time.
      dossierEvents({
        code: 'SUBMITTED',
        agency: 'DIST',
        procedure: 'P-2',
        channel: 'online',
        submitted: '2026-03-09 01:00',
        due: '2026-03-10 03:00',
      }),
      // Received, open: on time until 05:00, then late (the progress component's numerator drops).
      dossierEvents({
        code: 'RECEIVED',
        agency: 'COMM',
        procedure: 'P-2',
        received: '2026-03-09 01:00',
        due: '2026-03-10 05:00',
      }),
      dossierEvents({ code: 'OTHER', agency: 'DIST', procedure: 'P-2', received: '2026-03-09 02:00' }),
    ].flat(),
  );
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the Decision 766 running path recomputes only the scopes the staged rows move', () => {
  it(
    'skips when only dossiers it does not count cross, recomputes the moved chain when one it counts does',
    async () => {
      const start = await cycle('02:00');
      expect(start.result.mode).toBe('rebuild');
      const before = progress(await expectAsTheStatement(start));
      expect(before['agency:COMM']).toBe(1);

      // 03:00 passes for the submitted dossier only: a cycle of time passing (not quiet: the dossier KPIs
      // move), whose staged rows move no Decision 766 counter. No inputs are read, no value is written.
      const quiet = await cycle('03:30');
      expect(quiet.result.periodsRecomputed).toBeGreaterThan(0);
      expect(quiet.labels).toContain(MOVED);
      expect(quiet.labels).not.toContain(FROM_PREVIOUS);
      expect(quiet.labels).not.toContain(FROM_INPUTS);
      expect(quiet.labels).not.toContain(STATEMENT);
      expect(quiet.labels).not.toContain(WRITE);
      // Its markers stand on the rebuild's inputs, with no row of its own.
      expect(await stored(quiet.runId)).toEqual({ scopes: 0, parents: [start.runId] });
      expect(progress(await expectAsTheStatement(quiet))).toEqual(before);

      // 05:00 passes for the received dossier: COMM and PROV (its chain) and the city move, DIST does not.
      const crossed = await cycle('05:30');
      expect(crossed.labels).toContain(FROM_PREVIOUS);
      expect(crossed.labels).not.toContain(STATEMENT);
      // It stands on the rebuild's tag: the skipped generation's holds no row, and is not in its chain.
      expect(await stored(crossed.runId)).toEqual({ scopes: 9, parents: [start.runId] });
      // Only the values that moved are written (the others are the previous generation's), as they are:
      // none staged, none compared with kpi_current_v1 (expectAsTheStatement: none written unchanged).
      const { staged, written } = await stagedAndWritten(crossed.runId);
      expect(written).toBeGreaterThan(0);
      expect(staged).toBe(0);
      expect(crossed.labels).toContain(DIRECT);
      expect(crossed.labels).not.toContain(WRITE);
      const after = progress(await expectAsTheStatement(crossed));
      expect(after['agency:COMM']).toBe(0);
      expect(after['agency:PROV']).toBe(0);
      expect(after['agency:DIST']).toBe(before['agency:DIST']);

      // New data after both: read through the chain (its skipped generation included).
      await events(
        dossierEvents({ code: 'NEW', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 05:40' }),
      );
      const next = await cycle('05:45');
      expect(next.labels).toContain(FROM_PREVIOUS);
      expect(await stored(next.runId)).toEqual({ scopes: 6, parents: [crossed.runId] });
      await expectAsTheStatement(next);

      // A dossier only submitted: DIST's rows move, none of its values: nothing is staged or written.
      await events(
        dossierEvents({
          code: 'SUBMITTED2',
          agency: 'DIST',
          procedure: 'P-2',
          channel: 'online',
          submitted: '2026-03-10 05:50',
        }),
      );
      const unscored = await cycle('05:55');
      expect(unscored.labels).toContain(FROM_PREVIOUS);
      expect(unscored.labels).not.toContain(WRITE);
      expect(unscored.labels).not.toContain(DIRECT);
      expect(await stagedAndWritten(unscored.runId)).toEqual({ staged: 0, written: 0 });
      await expectAsTheStatement(unscored);

      // Many dossiers changed (MANY_CHANGED): which agencies moved is not asked; the path's general form
      // (the chains of every agency with staged rows, the set additions) still finds P-2 joining DIST's
      // procedures paid online.
      await events(
        Array.from({ length: 400 }, (_, i) =>
          dossierEvents({
            code: `MANY${i}`,
            agency: 'DIST',
            procedure: 'P-2',
            received: '2026-03-10 06:00',
            ...(i === 0 ? { fee: 10_000, paidOnline: 1 } : {}),
          }),
        ).flat(),
      );
      const many = await cycle('06:05');
      expect(many.result.dossiersRefreshed).toBe(400);
      expect(many.labels).toContain(FROM_PREVIOUS);
      expect(many.labels).not.toContain(MOVED);
      await expectAsTheStatement(many);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
    },
    SLOW,
  );
});
