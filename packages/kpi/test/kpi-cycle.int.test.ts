// Long file: one hand-computed scenario (kpi-scenario.ts) checked KPI by KPI, scope by scope, then the
// incremental runs on top of the same stored state; the cases read one ClickHouse in order.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { KPI_PHASES, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '../src/index.ts';
import { dossierEvents, procedure } from './kpi-fixtures.ts';
import {
  AGENCIES,
  BOUNDARY_DOSSIERS,
  LATE_DOSSIER,
  MARCH_DOSSIERS,
  NOW,
  PROCEDURES,
  scenarioEvents,
} from './kpi-scenario.ts';

interface LatestRow {
  numerator: string | number;
  denominator: string | number;
  value: number | null;
  target: number | null;
  target_met: number | null;
  score: number | null;
  max_score: number | null;
}

let test: TestClickHouse;
let clickhouse: ClickHouse;
let firstRun: Awaited<ReturnType<typeof runKpiCycle>>;
/** The cycle that counted LATE_DOSSIER (a claiming cycle that wrote values). */
let lateRun: Awaited<ReturnType<typeof runKpiCycle>>;

const cycle = (dayHorizonDays?: number, now = NOW) =>
  runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now,
    graceMs: 0,
    dayHorizonDays,
  });

async function latest(kpi: string, scope: string, periodKind: string, periodStart: string) {
  const [kind, code = ''] = scope.split(':');
  const result = await clickhouse.query({
    query: `SELECT numerator, denominator, value, target, target_met, score, max_score FROM kpi_latest
      WHERE kpi = {kpi:String} AND scope_kind = {kind:String} AND scope_code = {code:String}
        AND period_kind = {period_kind:String} AND period_start = {period_start:Date}`,
    query_params: { kpi, kind, code, period_kind: periodKind, period_start: periodStart },
    format: 'JSONEachRow',
  });
  const rows = await result.json<LatestRow>();
  expect(rows, `${kpi} ${scope} ${periodKind} ${periodStart}`).toHaveLength(1);
  const row = rows[0]!;
  return { ...row, numerator: Number(row.numerator), denominator: Number(row.denominator) };
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({ table: 'agencies_v1', values: AGENCIES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: PROCEDURES, format: 'JSONEachRow' });
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: scenarioEvents([...MARCH_DOSSIERS, ...BOUNDARY_DOSSIERS]),
    format: 'JSONEachRow',
  });
  firstRun = await cycle();
  // Provisioning, migrations and a first rebuild: over the 180 s hook default at load 40 on 2 cores.
}, 600_000);

afterAll(async () => {
  await test?.close();
});

describe('dossier KPIs for March 2025 (city)', () => {
  it('online_resolution_rate counts received dossiers by channel; the rejected one was never received', async () => {
    // Received: D1–D7, D9, D10, D11 (10); online: D1, D3, D4, D7, D11. 0.5 is not > 50%.
    expect(await latest('online_resolution_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 5,
      denominator: 10,
      value: 0.5,
      target: 0.5,
      target_met: 0,
    });
  });

  it('online_payment_rate counts dossiers with a non-zero fee; phase 1 sets no target', async () => {
    // Non-zero fee: D1 (online), D2 (counter), D4 (online); D3's fee is 0.
    expect(await latest('online_payment_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 2,
      denominator: 3,
      value: 2 / 3,
      target: null,
      target_met: null,
    });
  });

  it('satisfaction_rate rates dossiers finished in the period', async () => {
    expect(await latest('satisfaction_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 1,
      denominator: 2,
      value: 0.5,
      target: 0.95,
      target_met: 0,
    });
  });

  it('digitization_rate is over resolved dossiers only (not withdrawn or rejected)', async () => {
    // Resolved in March: D1, D2, D3, D4, D5, D6, D11; digitized: D1, D3, D11. No target outside 2022.
    expect(await latest('digitization_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 3,
      denominator: 7,
      value: 3 / 7,
      target: null,
      target_met: null,
    });
  });

  it('on_time_rate applies the national rule; open dossiers are judged at the period end', async () => {
    // Finished in March: D1 ✓ D2 ✗ D3 ✓ (by the appointment re-issued after the wait) D4 ✗ (2 requests) D5 ✓ D6 ✗ (no due date,
    // over 5 working days) D7 ✓ (withdrawn) D8 ✓ (rejected) D11 ✓; open at 1 April: D9 ✓ D10 ✗.
    expect(await latest('on_time_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 7,
      denominator: 11,
      value: 7 / 11,
      target: null,
      target_met: null,
    });
    // April: D9 and D10 finish late.
    expect(await latest('on_time_rate', 'city', 'month', '2025-04-01')).toMatchObject({
      numerator: 0,
      denominator: 2,
      value: 0,
    });
  });

  it('on_time_rate for one day counts the dossiers finished that day and those still open at its end', async () => {
    // 12 March: finished D2 ✗ D4 ✗ D8 ✓; open at midnight D3 ✓ (appointment re-issued for 17 March) D5 ✓ D6 ✓ D7 ✓.
    expect(await latest('on_time_rate', 'city', 'day', '2025-03-12')).toMatchObject({
      numerator: 5,
      denominator: 7,
    });
  });

  it('index766.progress scores 20 × the on-time ratio of the received dossiers, rounded to hundredths', async () => {
    // D8 was only submitted, then not accepted: it is no dossier of the period. 6 of the other 10 on time.
    const row = await latest('index766.progress', 'city', 'month', '2025-03-01');
    expect(row).toMatchObject({ numerator: 6, denominator: 10, score: 12, max_score: 20 });
  });

  it('index766.online_payment scores 6·A + min(2, 2.5·B) + min(2, 2.5·C), each part rounded', async () => {
    // A: P-LAND dossiers received in March, less D3 whose fee list is all zero; D7, D9, D10, D11 sent no
    // fee list and stay: paid online D1, D4 of 7 = 28.57% → 1.71. Fee-bearing catalog: P-LAND, P-OLD; with
    // a non-zero fee and with an online payment: P-LAND (B = C = 50% → 1.25 each). 1.71 + 1.25 + 1.25.
    expect(
      await latest('index766.online_payment.dossiers_paid', 'city', 'month', '2025-03-01'),
    ).toMatchObject({
      numerator: 2,
      denominator: 7,
      score: 1.71,
      max_score: 6,
    });
    for (const part of ['procedures_with_fee', 'procedures_paid']) {
      expect(await latest(`index766.online_payment.${part}`, 'city', 'month', '2025-03-01')).toMatchObject({
        numerator: 1,
        denominator: 2,
        score: 1.25,
        max_score: 2,
      });
    }
    const row = await latest('index766.online_payment', 'city', 'month', '2025-03-01');
    expect(row).toMatchObject({ numerator: 421, denominator: 1000, score: 4.21, max_score: 10 });
  });
});

describe('scopes', () => {
  it('admin level comes from the agency; a zero denominator gives a NULL value and no verdict', async () => {
    // District (Q1): D5, D6, both direct, no ratings.
    expect(
      await latest('online_resolution_rate', 'admin_level:district', 'month', '2025-03-01'),
    ).toMatchObject({
      numerator: 0,
      denominator: 2,
      value: 0,
      target_met: 0,
    });
    expect(await latest('satisfaction_rate', 'admin_level:district', 'month', '2025-03-01')).toMatchObject({
      numerator: 0,
      denominator: 0,
      value: null,
      target: 0.95,
      target_met: null,
    });
    expect(await latest('on_time_rate', 'agency:Q1', 'month', '2025-03-01')).toMatchObject({
      numerator: 1,
      denominator: 2,
      value: 0.5,
    });
  });

  it('field comes from the procedure; land has its own satisfaction target in phase 1', async () => {
    expect(await latest('satisfaction_rate', 'field:G13-TN02', 'month', '2025-03-01')).toMatchObject({
      numerator: 1,
      denominator: 2,
      target: 0.9,
      target_met: 0,
    });
    expect(await latest('online_resolution_rate', 'procedure:P-HH', 'month', '2025-03-01')).toMatchObject({
      numerator: 0,
      denominator: 2,
    });
  });
});

describe('procedure KPIs are catalog snapshots at the period end', () => {
  it('December 2025 (phase 1) sees three procedures', async () => {
    expect(await latest('online_service_coverage', 'city', 'month', '2025-12-01')).toMatchObject({
      numerator: 2,
      denominator: 3,
      target: 1,
      target_met: 0,
    });
    expect(await latest('national_portal_integration', 'city', 'month', '2025-12-01')).toMatchObject({
      numerator: 1,
      denominator: 2,
      value: 0.5,
      target: 0.8,
      target_met: 0,
    });
    expect(await latest('online_payment_coverage', 'city', 'month', '2025-12-01')).toMatchObject({
      numerator: 1,
      denominator: 2,
      target: null,
      target_met: null,
    });
    expect(await latest('online_service_coverage', 'field:G13-TN02', 'month', '2025-12-01')).toMatchObject({
      numerator: 1,
      denominator: 1,
      value: 1,
      target_met: 1,
    });
  });

  it('January 2026 (phase 2) adds the procedure valid from 2026 and judges against phase 2', async () => {
    expect(await latest('online_payment_coverage', 'city', 'month', '2026-01-01')).toMatchObject({
      numerator: 2,
      denominator: 3,
      target: 1,
      target_met: 0,
    });
    expect(await latest('online_payment_coverage', 'procedure:P-HH', 'month', '2026-01-01')).toMatchObject({
      numerator: 0,
      denominator: 0,
      value: null,
      target: 1,
      target_met: null,
    });
    expect(
      await latest('national_portal_integration', 'admin_level:province', 'month', '2026-01-01'),
    ).toMatchObject({ numerator: 2, denominator: 2, value: 1, target: 0.8, target_met: 1 });
  });
});

describe('the 2025/2026 phase boundary', () => {
  it('the same 75% online meets phase 1 (> 50%) in December 2025 and misses phase 2 (> 80%) in January 2026', async () => {
    expect(await latest('online_resolution_rate', 'city', 'month', '2025-12-01')).toMatchObject({
      numerator: 3,
      denominator: 4,
      value: 0.75,
      target: 0.5,
      target_met: 1,
    });
    expect(await latest('online_resolution_rate', 'city', 'month', '2026-01-01')).toMatchObject({
      numerator: 3,
      denominator: 4,
      value: 0.75,
      target: 0.8,
      target_met: 0,
    });
    expect(await latest('online_payment_rate', 'city', 'month', '2026-01-01')).toMatchObject({
      numerator: 0,
      denominator: 0,
      value: null,
      target: 0.5,
      target_met: null,
    });
    expect(await latest('online_resolution_rate', 'city', 'quarter', '2025-10-01')).toMatchObject({
      numerator: 3,
      denominator: 4,
      target_met: 1,
    });
  });
});

// Tests of several cycles (a clock that moves back rebuilds first): minutes on a machine shared with other
// test runs, each cycle also scoring the Decision 766 index. A timed-out test would leave its cycles
// running into the next one.
const CYCLES = { timeout: 360_000 };

describe('incremental runs', CYCLES, () => {
  it('the first run refreshed every dossier once, duplicates included', () => {
    expect(firstRun.dossiersRefreshed).toBe(MARCH_DOSSIERS.length + BOUNDARY_DOSSIERS.length);
    expect(firstRun.rowsWritten).toBeGreaterThan(0);
  });

  it('reports the values it wrote and the periods it recomputed', async () => {
    const result = await clickhouse.query({
      query: `SELECT (SELECT count() FROM kpi_values_v1 WHERE run_id = {run_id:String}) AS written,
        (SELECT count() FROM kpi_run_periods_v1 WHERE run_id = {run_id:String}) AS periods`,
      query_params: { run_id: firstRun.runId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<'written' | 'periods', string | number>>();
    expect(firstRun.rowsWritten).toBe(Number(row?.written));
    expect(firstRun.periodsRecomputed).toBe(Number(row?.periods));
  });

  it('a run without new data writes nothing', async () => {
    const again = await cycle();
    expect(again.dossiersRefreshed).toBe(0);
    expect(again.rowsWritten).toBe(0);
  });

  it("names each step of its generation as it passes it (the fault suite's kill points)", async () => {
    const phases: string[] = [];
    await runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now: NOW,
      graceMs: 0,
      onPhase: (phase) => phases.push(phase),
    });
    expect(phases).toEqual([...KPI_PHASES]);
  });

  it('a dossier arriving after March was computed updates March, and history keeps both values', async () => {
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents(LATE_DOSSIER),
      format: 'JSONEachRow',
    });
    const run = await cycle();
    lateRun = run;
    expect(run.dossiersRefreshed).toBe(1);
    expect(await latest('online_resolution_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 6,
      denominator: 11,
    });
    expect(await latest('on_time_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 8,
      denominator: 12,
    });
    const history = await clickhouse.query({
      query: `SELECT numerator, denominator FROM kpi_values_v1 WHERE kpi = 'online_resolution_rate'
        AND scope_kind = 'city' AND period_kind = 'month' AND period_start = '2025-03-01' ORDER BY computed_at`,
      format: 'JSONEachRow',
    });
    expect((await history.json<{ numerator: string }>()).map((r) => Number(r.numerator))).toEqual([5, 6]);
    // December was not touched: nothing rewritten there.
    expect(await latest('online_resolution_rate', 'city', 'month', '2025-12-01')).toMatchObject({
      numerator: 3,
    });
  });

  it("stamps its values with a clock read after its claim, so they replace every earlier generation's", async () => {
    // kpi_current_v1 keeps the row with the latest computed_at: a cycle's values must be stamped later than
    // the values of every generation committed before its claim (read with the log after the claim:
    // claimGenerationAt), not with the clock read at the cycle's start.
    const result = await clickhouse.query({
      query: `SELECT (SELECT count() FROM kpi_values_v1 WHERE run_id = {run_id:String}) AS written,
        (SELECT toString(min(computed_at)) FROM kpi_values_v1 WHERE run_id = {run_id:String}) AS stamped,
        (SELECT toString(min(created_at)) FROM kpi_cycles_v1 WHERE run_id = {run_id:String} AND state = 'staged') AS claimed`,
      query_params: { run_id: lateRun.runId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ written: string | number; stamped: string; claimed: string }>();
    expect(Number(row?.written)).toBeGreaterThan(0);
    const { stamped = '', claimed = '~' } = row ?? {};
    expect(stamped >= claimed, `values stamped ${stamped}, claimed ${claimed}`).toBe(true);
  });

  it('runs started together agree: values stay what one run computed', async () => {
    const runs = await Promise.all([cycle(), cycle()]);
    expect(runs.every((r) => r.dossiersRefreshed <= 1)).toBe(true);
    expect(await latest('on_time_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 8,
      denominator: 12,
    });
    expect(await latest('on_time_rate', 'city', 'day', '2025-03-12')).toMatchObject({
      numerator: 5,
      denominator: 7,
    });
  });

  it('past the day horizon a late dossier moves its month but leaves old days alone', async () => {
    const late = { ...LATE_DOSSIER, code: 'D13', received: '2025-03-12 03:00', channel: 'direct' as const };
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents(late),
      format: 'JSONEachRow',
    });
    await cycle(30);
    expect(await latest('online_resolution_rate', 'city', 'month', '2025-03-01')).toMatchObject({
      numerator: 6,
      denominator: 12,
    });
    expect(await latest('online_resolution_rate', 'city', 'day', '2025-03-12')).toMatchObject({
      numerator: 0,
      denominator: 0,
    });
  });
});

describe('a period that ended between two cycles', CYCLES, () => {
  it('is judged once more at its end', async () => {
    // Due 23:59:30 city time on 31 March, still open: on time at 23:00, late at midnight.
    const open = {
      code: 'D14',
      agency: 'AG-X',
      received: '2025-03-31 03:00',
      due: '2025-03-31 16:59:30.000',
    };
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents(open),
      format: 'JSONEachRow',
    });
    await cycle(undefined, '2025-03-31 16:00:00.000');
    expect(await latest('on_time_rate', 'agency:AG-X', 'day', '2025-03-31')).toMatchObject({
      numerator: 1,
      denominator: 1,
    });
    // Nothing new arrives; the next cycle runs on 1 April.
    await cycle(undefined, '2025-04-01 05:00:00.000');
    expect(await latest('on_time_rate', 'agency:AG-X', 'day', '2025-03-31')).toMatchObject({
      numerator: 0,
      denominator: 1,
    });
  });
});

describe('catalog KPIs of the current period', CYCLES, () => {
  it('follow the city day: a procedure whose validity ends drops out on the next day without new data', async () => {
    const temporary = procedure('P-TEMP', {
      online_class: 'full',
      valid_from: '2025-01-01',
      valid_to: '2025-04-03',
    });
    await clickhouse.insert({ table: 'procedures_v1', values: [temporary], format: 'JSONEachRow' });
    await cycle(undefined, '2025-04-02 01:00:00.000');
    const withTemporary = await latest('online_service_coverage', 'city', 'month', '2025-04-01');
    expect(await latest('online_service_coverage', 'procedure:P-TEMP', 'month', '2025-04-01')).toMatchObject({
      numerator: 1,
      denominator: 1,
    });
    // Later the same city day (12:00 local): the snapshot is unchanged.
    await cycle(undefined, '2025-04-02 05:00:00.000');
    expect(await latest('online_service_coverage', 'city', 'month', '2025-04-01')).toMatchObject(
      withTemporary,
    );
    // 3 April, 08:00 local: valid_to (exclusive) is reached.
    await cycle(undefined, '2025-04-03 01:00:00.000');
    expect(await latest('online_service_coverage', 'city', 'month', '2025-04-01')).toMatchObject({
      numerator: withTemporary.numerator - 1,
      denominator: withTemporary.denominator - 1,
    });
    expect(await latest('online_service_coverage', 'procedure:P-TEMP', 'month', '2025-04-01')).toMatchObject({
      numerator: 0,
      denominator: 0,
    });
  });

  it('a catalog row valid for years lists its days only from the day floor, and counts only those', async () => {
    const longLived = procedure('P-LONG', { online_class: 'full', valid_from: '2020-01-01' });
    await clickhouse.insert({ table: 'procedures_v1', values: [longLived], format: 'JSONEachRow' });
    // 92 days before 3 April 2025 (09:00 local): day periods from 1 January 2025 on are recomputed.
    const run = await cycle(92, '2025-04-03 02:00:00.000');
    const result = await clickhouse.query({
      query: `SELECT countIf(period_kind = 'day' AND period_start < '2025-01-01') AS below,
          countIf(period_kind = 'day' AND period_start = '2025-01-01') AS floor,
          countIf(period_kind = 'month' AND period_start = '2020-01-01') AS first_month, count() AS periods
        FROM kpi_run_periods_v1 WHERE run_id = {run_id:String}`,
      query_params: { run_id: run.runId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<'below' | 'floor' | 'first_month' | 'periods', string | number>>();
    // Before, every day since 2020 was listed (1,827 rows here) though none below the floor is computed.
    expect(Number(row?.below)).toBe(0);
    expect(Number(row?.floor)).toBeGreaterThan(0);
    expect(Number(row?.first_month)).toBeGreaterThan(0);
    expect(run.periodsRecomputed).toBe(Number(row?.periods));
    expect(run.periodsRecomputed).toBeLessThan(400);
    expect(await latest('online_service_coverage', 'procedure:P-LONG', 'month', '2020-01-01')).toMatchObject({
      numerator: 1,
      denominator: 1,
    });
    expect(await latest('online_service_coverage', 'procedure:P-LONG', 'day', '2025-01-01')).toMatchObject({
      numerator: 1,
      denominator: 1,
    });
  });
});
