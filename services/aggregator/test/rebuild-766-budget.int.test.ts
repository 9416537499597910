import { randomUUID } from 'node:crypto';
import { type ClickHouse, createClickHouse, memoryBudget } from '@dossier/clickhouse';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, shiftMs, verifyKpiState } from '@dossier/kpi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATE_SPAN_MS, nextCityDay, nextCityYear } from '../../../bench/aggregate-cycles.ts';
import { cityHistory, insertCatalog, insertDossiers } from '../../../bench/aggregate-data.ts';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

// The rebuild's Decision 766 statement over a realistic history (the generator's catalog, valid since 2020,
// and 100,000 dossiers at the city's rate: five days of receipts), and verifyKpiState after the rebuild and
// after every kind of cycle, under the pipeline's settings of a 512 MiB budget (a 345 MiB cap, spilling at
// half of it): the 766 statement (and the rebuild's read of the cap, which cuts it) through a client giving
// them those settings, verifyKpiState through one giving them to every statement; everything else uncapped
// (other statements still exceed such a cap at times: bench/README.md). Over the ~120 periods since the
// catalog's start the 766 statement failed in one statement under it; cut by period
// (index766/period-chunks.ts) it passes, and verifyKpiState's scope rows and 766 inputs run in parts too.
const DOSSIERS = 100_000;
const BUDGET_BYTES = 512 * 2 ** 20;
const BUDGET = memoryBudget({ totalBytes: BUDGET_BYTES, analystsShare: 0.25, analystsConcurrency: 2 });
const NOW = '2026-12-24 05:00:00.000';
const ms = (at: string) => Date.parse(`${at.replace(' ', 'T')}Z`);
const history = cityHistory(DOSSIERS, ms(NOW));

let test: TestClickHouse;
let capped: ClickHouse;
let rebuildClient: ClickHouse;
/** The Decision 766 statements (values staged, running inputs kept) and the read of the cap. */
const capsOf = (query: string) =>
  query.includes("getSetting('max_memory_usage')") ||
  (query.includes('INSERT INTO kpi_stage_values_v1') && query.includes('catalog_size')) ||
  query.includes('INSERT INTO kpi_index766_scope_inputs_v1');
let capped766 = 0;
beforeAll(async () => {
  test = await createTestClickHouse({ embedded: true });
  await insertCatalog(test.clickhouse);
  await insertDossiers(test.clickhouse, { first: 0, count: DOSSIERS, now: NOW, ...history });
  // A second client of the same store whose every statement carries the budget's settings.
  capped = await createClickHouse({ url: test.url, application: 'test', settings: BUDGET.pipelineSettings });
  rebuildClient = new Proxy(test.clickhouse, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== 'command' && property !== 'query') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (params: { query: string; clickhouse_settings?: Record<string, unknown> }) => {
        if (!capsOf(params.query)) return value.call(target, params);
        if (params.query.includes('catalog_size')) capped766++;
        const settings = { ...params.clickhouse_settings, ...BUDGET.pipelineSettings };
        return value.call(target, { ...params, clickhouse_settings: settings });
      };
    },
  });
}, 300_000);
afterAll(async () => {
  await capped?.close();
  await test?.close();
});

/** Late receipts as the equivalence harness's: over the late span up to two weeks before `at`. */
async function insertLate(at: string, first: number, count: number): Promise<void> {
  const end = ms(at) - 14 * 86_400_000;
  const start = Math.min(Math.max(ms(history.startAt), ms(at) - LATE_SPAN_MS), end - 86_400_000);
  await insertDossiers(test.clickhouse, {
    first,
    count,
    now: at,
    prefix: 'L',
    startAt: shiftMs(at, start - ms(at)),
    spanSeconds: Math.round((end - start) / 1000),
  });
}

async function cycleAndVerify(at: string, client = test.clickhouse): Promise<string> {
  const result = await runKpiCycle(client, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 0,
    dayHorizonDays: 92,
    now: at,
  });
  const check = await verifyKpiState(capped, { dayHorizonDays: 92 });
  expect(check, `${result.mode} at ${at}`).toMatchObject({ exact: true });
  return result.mode;
}

describe('a rebuild and verifyKpiState under a 512 MiB budget', () => {
  it('rebuilds, and verifies the rebuild and every kind of cycle after it exact', async () => {
    const day = nextCityDay(new Date(ms(NOW)));
    const year = nextCityYear(new Date(ms(NOW)));
    expect(await cycleAndVerify(NOW, rebuildClient)).toBe('rebuild');
    // The 766 statement over the rebuild's periods in as many parts as the cap asks (cellShardsFor: 8).
    expect(capped766).toBeGreaterThan(1);
    await cycleAndVerify(shiftMs(NOW, 60_000));
    await insertDossiers(test.clickhouse, {
      first: DOSSIERS,
      count: 1_000,
      now: shiftMs(NOW, 120_000),
      prefix: 'N',
      startAt: shiftMs(NOW, -3_600_000),
      spanSeconds: 3_000,
    });
    await cycleAndVerify(shiftMs(NOW, 120_000));
    await insertLate(shiftMs(NOW, 180_000), DOSSIERS + 1_000, 1_000);
    await cycleAndVerify(shiftMs(NOW, 180_000));
    await cycleAndVerify(day);
    await cycleAndVerify(shiftMs(year, -240_000));
    await cycleAndVerify(year);
    await cycleAndVerify(shiftMs(year, 60_000));
  }, 1_200_000);
});
