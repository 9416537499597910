// The reason a KPI row has no score (migrations 0075–0080) travels from kpi_values_v1 to kpi_current_v1,
// kpi_latest and kpi_values_daily_v1; rows written without one read ''.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

const row = (kpi: string, reason?: string) => ({
  kpi,
  scope_kind: 'city',
  scope_code: '',
  period_kind: 'month',
  period_start: '2026-11-01',
  numerator: 0,
  denominator: 0,
  value: null,
  score: null,
  max_score: 6,
  ...(reason === undefined ? {} : { reason }),
  computed_at: '2026-11-20 01:00:00.000',
  run_id: 'run-1',
});

describe('KPI reason column', () => {
  it('is kept by every KPI table and shown by kpi_latest', async () => {
    const { clickhouse } = ch;
    await clickhouse.insert({
      table: 'kpi_values_v1',
      format: 'JSONEachRow',
      values: [row('index766.transparency.published_on_time', 'no_external_figures'), row('on_time_rate')],
    });
    for (const table of ['kpi_latest', 'kpi_current_v1 FINAL', 'kpi_values_daily_v1 FINAL']) {
      const result = await clickhouse.query({
        query: `SELECT kpi, reason FROM ${table} ORDER BY kpi`,
        format: 'JSONEachRow',
      });
      expect(await result.json(), table).toEqual([
        { kpi: 'index766.transparency.published_on_time', reason: 'no_external_figures' },
        { kpi: 'on_time_rate', reason: '' },
      ]);
    }
  });
});
