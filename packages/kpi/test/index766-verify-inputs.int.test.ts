// verifyKpiState checks the Decision 766 running inputs a generation stored (kpi_index766_scope_inputs_v1),
// which the next cycle adds its deltas to instead of running the index's statement, against the same inputs
// read anew at the generation's instant: each scope's row found through the chain of tags (a chained
// generation stores only the scopes it moved). A stored sum, set or scope row made wrong is one scope
// differing, reported as verify reports the cells; a catalog row loaded since leaves them unchecked (the next
// cycle runs the statement then).
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { verifyKpiState } from '../src/index.ts';
import {
  FROM_INPUTS,
  FROM_PREVIOUS,
  insertEvents,
  insertSmallProvince,
  runningPath,
} from './index766-running-support.ts';
import { dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;
const { cycle, stored } = runningPath(() => clickhouse);

const events = (rows: ReturnType<typeof dossierEvents>) => insertEvents(clickhouse, rows);

/** Rewrites stored input rows of `tag` (a run id) matching `where`, as a fault or a wrong increment would. */
async function corrupt(tag: string, set: string, where: string): Promise<void> {
  await clickhouse.command({
    query: `ALTER TABLE kpi_index766_scope_inputs_v1 ${set} WHERE tag = '${tag}' AND ${where}`,
    clickhouse_settings: { mutations_sync: '2' },
  });
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertSmallProvince(clickhouse);
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('verifyKpiState and the stored Decision 766 running inputs', () => {
  it(
    'finds every stored scope equal to its inputs read anew, and counts each one made wrong',
    async () => {
      const start = await cycle('02:00');
      expect(start.result.mode).toBe('rebuild');
      // The rebuild keeps every scope of its running periods: the city and 3 units, 3 periods.
      expect(await stored(start.runId)).toEqual({ scopes: 12, parents: [''] });
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: true,
        index766Inputs: { checked: 12, differing: 0 },
      });

      // A chained generation: the scopes COMM's new dossier moved (the city, COMM, PROV) under its own tag,
      // DIST's still the rebuild's.
      await events(
        dossierEvents({
          code: 'NEW',
          agency: 'COMM',
          procedure: 'P-2',
          channel: 'online',
          received: '2026-03-10 02:10',
          fee: 10_000,
        }),
      );
      const chained = await cycle('02:30');
      expect(chained.labels).toContain(FROM_PREVIOUS);
      expect(await stored(chained.runId)).toEqual({ scopes: 9, parents: [start.runId] });
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: true,
        index766Inputs: { checked: 12, differing: 0 },
      });

      // A sum one too many in COMM's month, under the chained tag.
      await corrupt(
        chained.runId,
        'UPDATE sums = arrayMap((x, i) -> x + toInt64(i = 1), sums, arrayEnumerate(sums))',
        "scope_kind = 'agency' AND scope_code = 'COMM' AND period_kind = 'month'",
      );
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: false,
        index766Inputs: { checked: 12, differing: 1 },
      });
      // A procedure missing from DIST's quarter sets, under the rebuild's tag (read through the chain).
      await corrupt(
        start.runId,
        "UPDATE sets = arrayMap(s -> arrayFilter(p -> p != 'P-2', s), sets)",
        "scope_kind = 'agency' AND scope_code = 'DIST' AND period_kind = 'quarter'",
      );
      expect((await verifyKpiState(clickhouse)).index766Inputs).toEqual({ checked: 12, differing: 2 });
      // The city's year row lost: the next cycle would have no input for it.
      await corrupt(chained.runId, 'DELETE', "scope_kind = 'city' AND period_kind = 'year'");
      expect((await verifyKpiState(clickhouse)).index766Inputs).toEqual({ checked: 12, differing: 3 });
      // A row the chain shadows (COMM's month under the rebuild's tag) is never read: no change.
      await corrupt(
        start.runId,
        'UPDATE catalog_size = catalog_size + 1',
        "scope_kind = 'agency' AND scope_code = 'COMM' AND period_kind = 'month'",
      );
      expect((await verifyKpiState(clickhouse)).index766Inputs).toEqual({ checked: 12, differing: 3 });

      // A catalog row loaded since: the next cycle reads the inputs anew, nothing to check.
      await clickhouse.insert({
        table: 'procedures_v1',
        values: [procedure('P-3', { agency_code: 'PROV', admin_levels: ['province'] })],
        format: 'JSONEachRow',
      });
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: true,
        index766Inputs: { checked: 0, differing: 0 },
      });
      // That cycle computes the index off the running path, from every scope's inputs stored whole
      // (index766-statement.ts): the corrupted rows are no longer the chain's, and the one after starts from them.
      const statement = await cycle('02:40');
      expect(statement.labels).not.toContain(FROM_PREVIOUS);
      expect(await stored(statement.runId)).toEqual({ scopes: 12, parents: [''] });
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: true,
        index766Inputs: { checked: 12, differing: 0 },
      });
      await events(
        dossierEvents({ code: 'NEXT', agency: 'DIST', procedure: 'P-2', received: '2026-03-10 02:45' }),
      );
      const next = await cycle('02:50');
      expect(next.labels).toContain(FROM_PREVIOUS);
      expect(next.labels).not.toContain(FROM_INPUTS);
      expect(await verifyKpiState(clickhouse)).toMatchObject({
        exact: true,
        index766Inputs: { checked: 12, differing: 0 },
      });
    },
    SLOW,
  );
});
