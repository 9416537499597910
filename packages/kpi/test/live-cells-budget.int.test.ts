// The live cells written whole (sql/generation.sql.ts stageLiveCellsSql: every open dossier's rows of the
// running periods as cells, into kpi_stage_cells_v1) under a small budget's statement settings. Their
// grouping is small; what took memory was writing the output: a part of a wide table takes memory per
// column with its block's rows, and the default 65,536-row blocks took the whole cap (allocations of 4.16
// MiB). Under a small cap the pipeline's blocks are small (memory-budget.ts SMALL_CAP_BLOCK_ROWS), and the
// rows written are those written uncapped.
import type { ClickHouse } from '@dossier/clickhouse';
import { memoryBudget } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { PERIOD_KINDS } from '../src/periods.ts';
import { CELL_KEY_COLUMNS } from '../src/sql/cells.sql.ts';
import { stageLiveCellsSql } from '../src/sql/generation.sql.ts';
import { statements } from '../src/statements.ts';

const SLOW = 300_000;
/** Open dossiers, each of its own procedure: as many cells, four rows each (one per kind), 64,000 rows. */
const OPEN = 16_000;
const NOW = '2026-03-10 05:00:00.000';
/**
 * A budget whose pipeline statements run under ~81 MiB (its settings as npm start would pass them): in 65,536-row
 * blocks the statement took 103 MiB and more here, in small ones it passed under 67 MiB.
 */
const SMALL = memoryBudget({ totalBytes: 120 * 2 ** 20, analystsShare: 0.25, analystsConcurrency: 1 });

let test: TestClickHouse;
let clickhouse: ClickHouse;

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  // Received over the last 40 days (so in every kind's running period or not), some online, a few with a
  // due time past, one supplement requested for some.
  await clickhouse.command({
    query: `INSERT INTO kpi_open_facts_v1 (dossier_code, agency_code, admin_level, field_code, procedure_code,
      channel, start_at, received_at, finish_kind, due_at, supplement_requested_at, fee_known, fee_positive,
      paid_online, fee_bearing, digitized, facts_version, sign)
    SELECT concat('D', toString(number)), concat('AG', toString(number % 37)), ['province', 'district', 'commune'][number % 3 + 1],
      concat('F', toString(number % 11)), concat('P', toString(number)), if(number % 3 = 0, 'online', 'direct'),
      toDateTime64('${NOW}', 3, 'UTC') - toIntervalMinute(number % 57600) AS t, t, '',
      if(number % 5 = 0, t + toIntervalDay(3), NULL), if(number % 7 = 0, [t + toIntervalHour(1)], []),
      number % 2, number % 4 = 0, number % 8 = 0, number % 3 = 0, number % 2, 1, 1
    FROM numbers(${OPEN})`,
  });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

async function liveRows(liveId: string): Promise<string> {
  const layout = dossierCellLayout();
  const result = await clickhouse.query({
    query: `SELECT count() AS n, sum(cityHash64(${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})) AS h
      FROM kpi_stage_cells_v1 WHERE run_id = {id:String} AND role = 'live'`,
    query_params: { id: liveId },
    format: 'JSONEachRow',
  });
  return JSON.stringify(await result.json());
}

describe('the live cells under a small budget', () => {
  it(
    'are written whole within its statement cap, the same rows as without a cap',
    async () => {
      const sql = statements(clickhouse);
      const layout = dossierCellLayout();
      const at = { run_id: 'r', now: NOW, day_floor: '2026-03-01' };
      const settings = Object.fromEntries(
        Object.entries(SMALL.pipelineSettings).map(([k, v]) => [k, String(v)]),
      );
      await sql.command(stageLiveCellsSql(PERIOD_KINDS, layout), { ...at, live_id: 'uncapped' });
      await sql.command(stageLiveCellsSql(PERIOD_KINDS, layout), { ...at, live_id: 'capped' }, { settings });
      const uncapped = await liveRows('uncapped');
      expect(Number(JSON.parse(uncapped)[0].n)).toBe(OPEN * PERIOD_KINDS.length);
      expect(await liveRows('capped')).toBe(uncapped);
    },
    SLOW,
  );
});
