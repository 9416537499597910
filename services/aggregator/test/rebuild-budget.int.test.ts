import { randomUUID } from 'node:crypto';
import { type ClickHouse, memoryBudget } from '@dossier/clickhouse';
import { cellShardsFor, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '@dossier/kpi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCatalog, insertDossiers } from '../../../bench/aggregate-data.ts';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

// A rebuild under a small memory budget, in miniature: the statements that grow with the history — the
// dossiers' slices, the cells' builds — and the read of the cap that sizes them carry the pipeline's
// settings of a 144 MiB budget (a 97 MiB cap, spilling at half of it), every other statement as it was
// (below the minimum a service accepts, in proportion to these 100,000 dossiers rather than 1M). One slice
// of them takes more than the cap (about 1 KB a dossier, rebuild-steps.ts): with slices of a fixed 500,000
// dossiers the rebuild failed in its only slice; cut by what half the cap holds, it completes, exact.
// verifyKpiState's recomputation of the cells, under the same settings, is cut as the rebuild's build.
const DOSSIERS = 100_000;
const BUDGET = memoryBudget({ totalBytes: 144 * 2 ** 20, analystsShare: 0.25, analystsConcurrency: 2 });
const NOW = '2026-03-02 03:00:00.000';

let test: TestClickHouse;
let capped: ClickHouse;
beforeAll(async () => {
  test = await createTestClickHouse({ embedded: true });
  await insertCatalog(test.clickhouse);
  await insertDossiers(test.clickhouse, {
    first: 0,
    count: DOSSIERS,
    startAt: '2025-01-01 00:00:00.000',
    spanSeconds: 300 * 86_400,
    now: NOW,
  });
  capped = cappedRebuild(test.clickhouse, BUDGET.pipelineSettings);
}, 300_000);
afterAll(async () => {
  await test?.close();
});

/** verifyKpiState's recomputation of the cells of a period kind (sql/verify.sql.ts verifyCellsSql). */
const verifyCells = (query: string) =>
  query.includes('kpi_dossier_facts_v1 FINAL') && query.includes('FROM kpi_cells_v1 WHERE period_kind');
const verifiedCells: string[] = [];

/**
 * The client, with `settings` on the rebuild's slices and cells builds, on verifyKpiState's cells and on
 * the read of the cap; the statements recomputing the cells noted in verifiedCells.
 */
function cappedRebuild(client: ClickHouse, settings: Record<string, number>): ClickHouse {
  const capped = (query: string) =>
    query.includes("getSetting('max_memory_usage')") ||
    (query.includes('INSERT INTO kpi_dossier_facts_v1') && query.includes('{slice_from:String}')) ||
    (query.includes('INSERT INTO kpi_cells_v1') && query.includes('FROM kpi_dossier_facts_v1 FINAL')) ||
    verifyCells(query);
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== 'command' && property !== 'query') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (params: { query: string; clickhouse_settings?: Record<string, unknown> }) => {
        if (verifyCells(params.query)) verifiedCells.push(params.query);
        return value.call(
          target,
          capped(params.query)
            ? { ...params, clickhouse_settings: { ...params.clickhouse_settings, ...settings } }
            : params,
        );
      };
    },
  });
}

async function rows<T>(query: string): Promise<T[]> {
  return (await test.clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

describe('a rebuild under a small memory budget', () => {
  it('cuts the dossiers into slices half the statement cap holds, completes, and is exact', async () => {
    const result = await runKpiCycle(capped, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      graceMs: 0,
      dayHorizonDays: 92,
      now: NOW,
    });
    expect(result.mode).toBe('rebuild');
    const steps = await rows<{ step: string }>(
      `SELECT DISTINCT step FROM kpi_rebuild_steps_v1 WHERE startsWith(step, 'facts ') ORDER BY step`,
    );
    // About 8,400 dossiers a slice under this cap (sliceDossiersFor): a granule of the state each.
    expect(steps.length).toBeGreaterThanOrEqual(8);
    const [facts] = await rows<{ n: string }>('SELECT count() AS n FROM kpi_dossier_facts_v1 FINAL');
    expect(Number(facts?.n)).toBe(DOSSIERS);
    const check = await verifyKpiState(test.clickhouse, { dayHorizonDays: 92 });
    expect(check.exact).toBe(true);
  }, 600_000);

  it('verifies the state under the same cap, its cells recomputed in as many statements as the rebuild', async () => {
    verifiedCells.length = 0;
    const check = await verifyKpiState(capped, { dayHorizonDays: 92 });
    expect(check.exact).toBe(true);
    // As many statements per period kind as the rebuild's cells (cellShardsFor), each one shard.
    const shards = cellShardsFor(BUDGET.pipelineBytes);
    expect(shards).toBeGreaterThan(1);
    expect(verifiedCells).toHaveLength(PERIOD_KINDS.length * shards);
    expect(verifiedCells.every((query) => query.includes('{shard:UInt32}'))).toBe(true);
  }, 600_000);
});
