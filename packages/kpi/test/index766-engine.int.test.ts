// The Decision 766 index as the KPI engine writes it to kpi_latest: every component, group and total for
// the city and each unit with its sub-units, from a hand-counted scenario (index766-scenario.ts) scored
// by the TypeScript reference (score.ts scorecard); then published figures loaded by an operator move the
// external components, 1.4's denominator and 5.4 within the next cycle.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import type { ScorecardInputs } from '../src/index766/score.ts';
import { expectedRows, readIndexRows } from './index766-rows.ts';
import { AGENCIES, EVENTS, EXPECTED, NOW, PROCEDURES } from './index766-scenario.ts';

let test: TestClickHouse;
let clickhouse: ClickHouse;

const cycle = (now = NOW) =>
  runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now,
    graceMs: 0,
  });

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({ table: 'agencies_v1', values: AGENCIES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: PROCEDURES, format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'dossier_events_v1', values: EVENTS, format: 'JSONEachRow' });
  await cycle();
}, 300_000);

afterAll(async () => {
  await test?.close();
});

describe('Decision 766 index in kpi_latest', () => {
  for (const periodKind of ['month', 'quarter', 'year'] as const) {
    const start = { month: '2025-03-01', quarter: '2025-01-01', year: '2025-01-01' }[periodKind];
    it(`every component, group and total of the city and each unit with its sub-units (${periodKind})`, async () => {
      for (const [scope, inputs] of Object.entries(EXPECTED)) {
        const rows = await readIndexRows(clickhouse, scope, periodKind, start);
        expect(rows, `${scope} ${periodKind}`).toEqual(expectedRows(inputs));
      }
    });
  }

  it('hand-computed: the city scores 1.4 = 3.6, progress 12, 3.3 = 6 × min(1, 2/5 × 3/5 / 50%) = 2.88', async () => {
    const rows = await readIndexRows(clickhouse, 'city', 'month', '2025-03-01');
    const score = (kpi: string) => rows.find((r) => r.kpi === kpi);
    expect(score('index766.transparency.synchronised')).toMatchObject({
      score: 3.6,
      max_score: 6,
      reason: '',
    });
    expect(score('index766.progress')).toMatchObject({ numerator: 3, denominator: 5, score: 12 });
    expect(score('index766.online_service.online_dossiers')).toMatchObject({ score: 2.88 });
    // Payment: A = 25% → 1.5, B = 100% → 2, C = 50% → 1.25.
    expect(score('index766.online_payment')).toMatchObject({ score: 4.75, max_score: 10 });
    // External components wait for published figures; their points leave the maxima.
    expect(score('index766.transparency.published_on_time')).toMatchObject({
      score: null,
      reason: 'no_external_figures',
    });
    expect(score('index766.transparency')).toMatchObject({ max_score: 6 });
    expect(score('index766.total')).toMatchObject({ max_score: 74 });
  });

  it('writes no day rows and no rows for other scope kinds', async () => {
    const result = await clickhouse.query({
      query: `SELECT count() AS n FROM kpi_latest WHERE kpi LIKE 'index766%'
        AND (period_kind = 'day' OR scope_kind NOT IN ('city', 'agency'))`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    expect(Number(row?.n)).toBe(0);
  });

  it('published figures loaded later move the external components, 1.4 and 5.4 in the next cycle', async () => {
    const loadedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const figure = (name: string, numerator: number, denominator: number, dossier = '') => ({
      scope_kind: 'city',
      scope_code: '',
      period_kind: 'month',
      period_start: '2025-03-01',
      figure: name,
      dossier_code: dossier,
      numerator,
      denominator,
      source: 'test',
      loaded_at: loadedAt,
      load_id: 'load-1',
      csv_line: 1,
      event_id: `load-1:${name}:${dossier}`,
    });
    await clickhouse.insert({
      table: 'index766_external_v1',
      format: 'JSONEachRow',
      values: [
        figure('index766.transparency.published_on_time', 5, 6),
        figure('index766.satisfaction.petitions_on_time', 0, 0),
        figure('national_reporting.received', 8, 0),
        figure('petitions.dossier', 1, 0, 'A6'),
      ],
    });
    await cycle('2026-02-15 00:05:00.000');
    const inputs: ScorecardInputs = {
      ...EXPECTED.city!,
      figures: {
        'index766.transparency.published_on_time': { numerator: 5, denominator: 6 },
        'index766.satisfaction.petitions_on_time': { numerator: 0, denominator: 0 },
      },
      nationalReceived: 8,
      petitionedDossiers: 1,
    };
    const rows = await readIndexRows(clickhouse, 'city', 'month', '2025-03-01');
    expect(rows).toEqual(expectedRows(inputs));
    const score = (kpi: string) => rows.find((r) => r.kpi === kpi);
    // 1.4: 3 / max(5, 8); 5.4: 3 − 1 petitioned of 5; 5.2 without petitions: full 6; 1.1: 6 × 5/6.
    expect(score('index766.transparency.synchronised')).toMatchObject({
      numerator: 3,
      denominator: 8,
      score: 2.25,
    });
    expect(score('index766.satisfaction.dossier_satisfaction')).toMatchObject({
      numerator: 2,
      denominator: 5,
    });
    expect(score('index766.satisfaction.petitions_on_time')).toMatchObject({ score: 6, reason: '' });
    expect(score('index766.transparency.published_on_time')).toMatchObject({ score: 5, reason: '' });
    expect(score('index766.total')).toMatchObject({ max_score: 86 });
    // Units have no published figures of their own: theirs are still missing.
    const dept = await readIndexRows(clickhouse, 'agency:DEPT', 'month', '2025-03-01');
    expect(dept).toEqual(expectedRows(EXPECTED['agency:DEPT']!));
  });

  it('leaves the incremental state exact', async () => {
    expect((await verifyKpiState(clickhouse)).exact).toBe(true);
  });
});
