// Cycles starting from the previous live cells on the same city day (new dossiers, due times passing) no
// longer run the Decision 766 statement for the running periods: the previous generation's inputs per
// scope (kpi_index766_scope_inputs_v1) plus the run's deltas, scored in TypeScript (index766-running.ts).
// A rebuild keeps its running periods' inputs; a cycle writes only the scopes that moved, its marker naming
// the generation it stands on, and every scope again once the chain is long enough.
// After each such cycle every Decision 766 value of the running periods must equal what the statement
// computes from the same state, and at the end the whole state must equal a recomputation from scratch.
// Long file: the cycles of one history, each case standing on the state the one before left.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { CHAIN_LIMITS } from '../src/index766/stored-inputs.ts';
import { DAY, FROM_INPUTS, FROM_PREVIOUS, runningPath, STATEMENT } from './index766-running-support.ts';
import { agency, dossierEvent, dossierEvents, procedure, ts } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;
const { json, cycle, stored, expectAsTheStatement } = runningPath(() => clickhouse);

const events = (rows: ReturnType<typeof dossierEvents>) =>
  clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  // PROV ← DEPT ← COMM, and DIST on its own.
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [
      agency('PROV', 'province'),
      agency('DEPT', 'province', { parent_code: 'PROV' }),
      agency('COMM', 'commune', { parent_code: 'DEPT' }),
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
      dossierEvents({
        code: 'DUE',
        agency: 'COMM',
        procedure: 'P-2',
        received: '2026-03-09 01:00',
        due: '2026-03-10 05:00',
      }),
      dossierEvents({
        code: 'OPEN',
        agency: 'PROV',
        procedure: 'P-1',
        channel: 'online',
        received: '2026-03-09 02:00',
        due: '2026-03-12 00:00',
      }),
      dossierEvents({
        code: 'DONE',
        agency: 'DIST',
        procedure: 'P-2',
        received: '2026-03-02 02:00',
        due: '2026-03-05 00:00',
        finished: { at: '2026-03-04 20:00', kind: 'resolved' },
        fee: 10_000,
      }),
    ].flat(),
  );
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the Decision 766 index of the running periods from the previous inputs plus the deltas', () => {
  it(
    'scores the moved scopes without the statement and equals it after every cycle',
    async () => {
      const start = await cycle('02:00');
      expect(start.result.mode).toBe('rebuild');
      // The rebuild keeps every scope of its running periods: the city and 4 units, 3 periods.
      expect(await stored(start.runId)).toEqual({ scopes: 15, parents: [''] });

      // New data: the first such cycle starts from the rebuild's inputs.
      await events(
        dossierEvents({
          code: 'NEW1',
          agency: 'COMM',
          procedure: 'P-2',
          channel: 'online',
          received: '2026-03-10 02:10',
          due: '2026-03-13 00:00',
          fee: 10_000,
          paidOnline: 1,
        }),
      );
      const first = await cycle('02:30');
      expect(first.result.dossiersRefreshed).toBe(1);
      expect(first.labels).toContain(FROM_PREVIOUS);
      expect(first.labels).not.toContain(FROM_INPUTS);
      expect(first.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(first);
      // The procedure sets stay in the engine: the scorer reads their sizes, not the sets.
      expect(first.read).toContain('sizes');
      expect(first.read).not.toContain('sets');
      // Only the scopes that moved are written (the city, COMM, DEPT, PROV), over the rebuild's.
      expect(await stored(first.runId)).toEqual({ scopes: 12, parents: [start.runId] });

      // More new data in another unit: the previous inputs plus the deltas, no statement at all.
      await events(
        dossierEvents({
          code: 'NEW2',
          agency: 'DIST',
          procedure: 'P-2',
          received: '2026-03-10 02:40',
          due: '2026-03-10 04:00',
          fee: 10_000,
        }),
      );
      const second = await cycle('02:50');
      expect(second.labels).toContain(FROM_PREVIOUS);
      expect(second.labels).not.toContain(FROM_INPUTS);
      expect(second.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(second);
      // The city and DIST; COMM's row is first's, the others' the rebuild's.
      expect(await stored(second.runId)).toEqual({ scopes: 6, parents: [first.runId] });
      // Its markers list the chain below it, read back by key.
      const [marker] = await json<{ ancestors: string[] }>(
        `SELECT ancestors FROM kpi_index766_scope_inputs_v1 WHERE tag = {tag:String} AND scope_kind = '' LIMIT 1`,
        { tag: second.runId },
      );
      expect(marker?.ancestors).toEqual([first.runId, start.runId]);

      // Due times pass (NEW2 at 04:00, DUE at 05:00): a crossing-only cycle, from the previous inputs.
      const crossed = await cycle('05:30');
      expect(crossed.result.periodsRecomputed).toBeGreaterThan(0);
      expect(crossed.labels).toContain(FROM_PREVIOUS);
      expect(crossed.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(crossed);

      // A procedure new to a unit's sets: DIST receives P-1 online with data from the population database.
      await events(
        dossierEvents({
          code: 'NEW3',
          agency: 'DIST',
          procedure: 'P-1',
          channel: 'online',
          received: '2026-03-10 05:35',
          due: '2026-03-12 00:00',
          extra: { population_db_used: 1 },
        }),
      );
      const joined = await cycle('05:40');
      expect(joined.labels).toContain(FROM_PREVIOUS);
      expect(joined.labels).not.toContain(FROM_INPUTS);
      expect(joined.read).not.toContain('sets');
      expect(joined.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(joined);

      // NEW3 moves to P-2: DIST|P-1 leaves the used services, which only the inputs read anew give.
      await events([
        dossierEvent('NEW3', 'processing', '2026-03-10 05:45', {
          agency_code: 'DIST',
          procedure_code: 'P-2',
          channel: 'online',
          received_at: ts('2026-03-10 05:35'),
        }),
      ]);
      const left = await cycle('05:50');
      expect(left.result.dossiersRefreshed).toBe(1);
      expect(left.labels).toContain(FROM_INPUTS);
      expect(left.labels).not.toContain(STATEMENT);
      await expectAsTheStatement(left);

      // And the next one goes on from those.
      await events(
        dossierEvents({
          code: 'NEW4',
          agency: 'PROV',
          procedure: 'P-1',
          received: '2026-03-10 05:55',
          due: '2026-03-10 23:00',
        }),
      );
      const after = await cycle('06:00');
      expect(after.labels).toContain(FROM_PREVIOUS);
      await expectAsTheStatement(after);

      // The first dossier of a unit the chain holds no row of: its inputs are read anew.
      await events(
        dossierEvents({ code: 'FIRST', agency: 'ZNEW', procedure: 'P-2', received: '2026-03-10 06:02' }),
      );
      const newUnit = await cycle('06:05');
      expect(newUnit.labels).toContain(FROM_INPUTS);
      await expectAsTheStatement(newUnit);

      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
      const rebuilt = await backfillKpis(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        fromDate: '2026-01-01',
        toDate: '2026-03-10',
        now: `${DAY} 06:05:00.000`,
      });
      expect(rebuilt.rowsWritten).toBe(0);
    },
    SLOW,
  );

  it(
    'a run stopped after staging the scored values is finished by the next, and the chain starts again',
    async () => {
      // After the range rebuild above the next cycle computes in full; the one after starts from it.
      await cycle('06:30');
      await events(
        dossierEvents({ code: 'NEW5', agency: 'COMM', procedure: 'P-2', received: '2026-03-10 06:35' }),
      );
      await expect(cycle('06:40', 'index766 running: stage scored values')).rejects.toThrow(/stopped after/);
      // The next run finishes the generation (with the statement: it does not start from live cells).
      await cycle('06:50');
      await events(
        dossierEvents({ code: 'NEW6', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 06:55' }),
      );
      const next = await cycle('07:00');
      expect(next.labels).toContain(FROM_INPUTS);
      await expectAsTheStatement(next);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });

      // A run dying once its moved scopes' rows and markers are stored, before its commit: the generation
      // is finished by the next run, and no later chain reads the dead run's rows.
      const SHORT = { ...CHAIN_LIMITS, tags: 2 };
      await events(
        dossierEvents({ code: 'NEW7', agency: 'PROV', procedure: 'P-1', received: '2026-03-10 07:05' }),
      );
      const over = await cycle('07:10', undefined, SHORT);
      expect(await stored(over.runId)).toEqual({ scopes: 6, parents: [next.runId] });
      await expectAsTheStatement(over);
      await events(
        dossierEvents({ code: 'NEW8', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 07:15' }),
      );
      const dead = cycle('07:20', 'index766 running: store inputs', SHORT);
      await expect(dead).rejects.toThrow(/stopped after/);
      await cycle('07:30', undefined, SHORT);
      await events(
        dossierEvents({ code: 'NEW9', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 07:35' }),
      );
      const anew = await cycle('07:40', undefined, SHORT);
      expect(anew.labels).toContain(FROM_INPUTS);
      await expectAsTheStatement(anew);
      await events(
        dossierEvents({ code: 'NEW10', agency: 'COMM', procedure: 'P-2', received: '2026-03-10 07:45' }),
      );
      const chained = await cycle('07:50', undefined, SHORT);
      expect(chained.labels).toContain(FROM_PREVIOUS);
      expect(await stored(chained.runId)).toEqual({ scopes: 12, parents: [anew.runId] });
      await expectAsTheStatement(chained);
      // The chain holds two tags: this generation writes every scope again, standing on none (the city
      // and five units: ZNEW's first dossier above gave it rows).
      await events(
        dossierEvents({ code: 'NEW11', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 07:55' }),
      );
      const rebased = await cycle('08:00', undefined, SHORT);
      expect(rebased.labels).toContain(FROM_PREVIOUS);
      expect(await stored(rebased.runId)).toEqual({ scopes: 18, parents: [''] });
      await expectAsTheStatement(rebased);
      await events(
        dossierEvents({ code: 'NEW12', agency: 'PROV', procedure: 'P-1', received: '2026-03-10 08:05' }),
      );
      const after = await cycle('08:10', undefined, SHORT);
      expect(await stored(after.runId)).toEqual({ scopes: 6, parents: [rebased.runId] });
      await expectAsTheStatement(after);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
    },
    SLOW,
  );

  it(
    'a rebuild whose running inputs cannot be kept commits with a warning, and the next cycle reads them anew',
    async () => {
      // Every write of the stored inputs fails, as a deterministic fault would: each resumed rebuild would
      // meet it again.
      const refused = new Error('kpi_index766_scope_inputs_v1 refused by the test');
      const failing = new Proxy(clickhouse, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (prop === 'command')
            return (params: { query: string }) =>
              params.query.includes('INSERT INTO kpi_index766_scope_inputs_v1')
                ? Promise.reject(refused)
                : target.command(params);
          if (prop === 'insert')
            return (params: { table: string }) =>
              params.table === 'kpi_index766_scope_inputs_v1'
                ? Promise.reject(refused)
                : target.insert(params as Parameters<ClickHouse['insert']>[0]);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const warnings: unknown[] = [];
      const runId = randomUUID();
      // An instant before the last cycle's: every cell is rebuilt.
      const rebuilt = await runKpiCycle(failing, {
        runId,
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        now: `${DAY} 08:05:00.000`,
        graceMs: 0,
        onWarning: (message, details) => warnings.push({ message, err: details.err }),
      });
      expect(rebuilt.mode).toBe('rebuild');
      expect(warnings).toEqual([{ message: expect.stringMatching(/not kept/), err: refused }]);
      expect(await stored(runId)).toEqual({ scopes: 0, parents: [] });

      await events(
        dossierEvents({ code: 'NEW13', agency: 'COMM', procedure: 'P-2', received: '2026-03-10 08:15' }),
      );
      const anew = await cycle('08:20');
      expect(anew.labels).toContain(FROM_INPUTS);
      await expectAsTheStatement(anew);
      await events(
        dossierEvents({ code: 'NEW14', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 08:25' }),
      );
      const next = await cycle('08:30');
      expect(next.labels).toContain(FROM_PREVIOUS);
      await expectAsTheStatement(next);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
    },
    SLOW,
  );
});
