// A cycle whose Decision 766 periods the running path cannot compute (late data in settled periods, a new
// city day) leaves the running periods' inputs as the running path would have (index766-statement.ts):
// verifyKpiState finds them equal to the inputs read anew, and the next cycle adds its deltas to them
// instead of reading every scope anew. A run that dies after storing them, before its markers or commit,
// is finished by the next one, exact.
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { verifyKpiState } from '../src/index.ts';
import { CHAIN_LIMITS } from '../src/index766/stored-inputs.ts';
import {
  FROM_INPUTS,
  FROM_PREVIOUS,
  insertEvents,
  insertSmallProvince,
  runningPath,
  STATEMENT,
} from './index766-running-support.ts';
import { dossierEvents } from './kpi-fixtures.ts';

const SLOW = 600_000;
const FROM_STORED = 'index766 statement: inputs';

let test: TestClickHouse;
let clickhouse: ClickHouse;
const { cycle, stored, expectAsTheStatement } = runningPath(() => clickhouse);

const events = (rows: ReturnType<typeof dossierEvents>) => insertEvents(clickhouse, rows);

/** Every scope of the running periods checked (the city and 3 units, 3 periods), none differing. */
const ALL_CHECKED = { exact: true, index766Inputs: { checked: 12, differing: 0 } };

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertSmallProvince(clickhouse);
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the Decision 766 inputs a cycle off the running path leaves', () => {
  it(
    'after late data and after a new day, the next cycle starts from them and verify checks them',
    async () => {
      expect((await cycle('02:00')).result.mode).toBe('rebuild');
      await events(
        dossierEvents({ code: 'NEW', agency: 'COMM', procedure: 'P-2', received: '2026-03-10 02:10' }),
      );
      const chained = await cycle('02:20');
      expect(chained.labels).toContain(FROM_PREVIOUS);

      // Late data: DIST's dossier of June 2025 (settled periods) beside COMM's of today.
      await events(
        [
          dossierEvents({
            code: 'LATE',
            agency: 'DIST',
            procedure: 'P-2',
            received: '2025-06-03 02:00',
            finished: { at: '2025-06-20 02:00', kind: 'resolved' },
            fee: 5_000,
          }),
          dossierEvents({ code: 'TODAY', agency: 'COMM', procedure: 'P-1', received: '2026-03-10 02:25' }),
        ].flat(),
      );
      const late = await cycle('02:30');
      expect(late.labels).toContain(FROM_STORED);
      expect(late.labels).not.toContain(STATEMENT);
      // The running periods' scopes it recomputed (the city, COMM and PROV: TODAY's chain), on the chain.
      expect(await stored(late.runId)).toEqual({ scopes: 9, parents: [chained.runId] });
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(late);
      const [june] = await clickhouse
        .query({
          query: `SELECT toUInt64(denominator) AS d FROM kpi_latest WHERE kpi = 'index766.progress'
            AND scope_kind = 'city' AND period_kind = 'month' AND period_start = '2025-06-01'`,
          format: 'JSONEachRow',
        })
        .then((r) => r.json<{ d: string }>());
      expect(Number(june?.d)).toBe(1);

      // The next cycle adds its deltas to them: no scope read anew.
      await events(
        dossierEvents({ code: 'AFTER', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 02:35' }),
      );
      const next = await cycle('02:40');
      expect(next.labels).toContain(FROM_PREVIOUS);
      expect(next.labels).not.toContain(FROM_INPUTS);
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(next);

      // A new city day: every scope of the running periods recomputed and stored whole.
      const day = await cycle('2026-03-10 18:00');
      expect(day.labels).toContain(FROM_STORED);
      expect(await stored(day.runId)).toEqual({ scopes: 12, parents: [''] });
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(day);
      await events(
        dossierEvents({ code: 'DAY2', agency: 'COMM', procedure: 'P-2', received: '2026-03-10 18:05' }),
      );
      const dayNext = await cycle('2026-03-10 18:10');
      expect(dayNext.labels).toContain(FROM_PREVIOUS);
      expect(dayNext.labels).not.toContain(FROM_INPUTS);
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(dayNext);
    },
    SLOW,
  );

  it(
    'a run stopped after storing them, or after its write, is finished by the next one, exact',
    async () => {
      for (const [i, failAfter] of [
        FROM_STORED,
        'index766 statement: stage values',
        'kpi_values_v1 <- index766 month+quarter+year',
      ].entries()) {
        await events(
          dossierEvents({
            code: `LATE-${i}`,
            agency: 'COMM',
            procedure: 'P-2',
            received: `2025-0${i + 1}-03 02:00`,
          }),
        );
        const at = `2026-03-10 19:${String(10 * i).padStart(2, '0')}`;
        await expect(cycle(at, failAfter)).rejects.toThrow(`stopped after ${failAfter}`);
        const finished = await cycle(`2026-03-10 19:${String(10 * i + 5).padStart(2, '0')}`);
        expect(finished.result.mode).toBe('cycle');
        expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
        // The cycle after it continues from whatever it left (its own cycle, with nothing new, committed
        // the finished generation's live cells): every value of the running periods as the statement's.
        await events(
          dossierEvents({
            code: `NOW-${i}`,
            agency: 'DIST',
            procedure: 'P-1',
            received: `2026-03-10 19:${String(10 * i + 6).padStart(2, '0')}`,
          }),
        );
        const after = await cycle(`2026-03-10 19:${String(10 * i + 8).padStart(2, '0')}`);
        expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
        await expectAsTheStatement(after);
      }
    },
    SLOW,
  );

  it(
    'keyed, on a chain due to be written whole: the scopes it did not recompute are copied from the chain',
    async () => {
      await events(
        [
          dossierEvents({
            code: 'LATE-W',
            agency: 'DIST',
            procedure: 'P-2',
            received: '2025-09-03 02:00',
            finished: { at: '2025-09-20 02:00', kind: 'resolved' },
          }),
          dossierEvents({ code: 'NOW-W', agency: 'COMM', procedure: 'P-1', received: '2026-03-10 20:05' }),
        ].flat(),
      );
      const late = await cycle('2026-03-10 20:10', undefined, { ...CHAIN_LIMITS, tags: 1 });
      expect(late.labels).toContain(FROM_STORED);
      expect(late.labels).toContain('index766 statement: copy unstored inputs');
      expect(await stored(late.runId)).toEqual({ scopes: 12, parents: [''] });
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(late);
      await events(
        dossierEvents({ code: 'NEXT-W', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 20:15' }),
      );
      const next = await cycle('2026-03-10 20:20');
      expect(next.labels).toContain(FROM_PREVIOUS);
      expect(await verifyKpiState(clickhouse)).toMatchObject(ALL_CHECKED);
      await expectAsTheStatement(next);
    },
    SLOW,
  );
});
