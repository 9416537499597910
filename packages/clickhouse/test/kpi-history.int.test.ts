// KPI history retention (migrations 0034–0037): kpi_values_v1 keeps every change for a week;
// kpi_values_daily_v1 keeps, for good, the last change of each city day (day periods: their final value).
import { formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

const CITY = { kpi: 'on_time_rate', scope_kind: 'city', scope_code: '', target: null, target_met: null };
const change = (period_kind: string, period_start: string, computed_at: string, n: number, d = 10) => ({
  ...CITY,
  period_kind,
  period_start,
  numerator: n,
  denominator: d,
  value: d === 0 ? null : n / d,
  computed_at,
  run_id: `run-${computed_at}`,
});

async function numbers(
  query: string,
): Promise<Array<{ period_kind: string; n: number; value: number | null }>> {
  const result = await ch.clickhouse.query({ query, format: 'JSONEachRow' });
  return (await result.json<{ period_kind: string; n: string | number; value: number | null }>()).map(
    (r) => ({
      ...r,
      n: Number(r.n),
    }),
  );
}

describe('KPI history retention', () => {
  it('thins changes older than a week to the last of each city day, and day periods to their final value', async () => {
    const { clickhouse } = ch;
    const recent = formatUtc(Date.now() - 3_600_000);
    await clickhouse.insert({
      table: 'kpi_values_v1',
      format: 'JSONEachRow',
      values: [
        // January 2025 as it moved; the city day (UTC+7) ends at 17:00 UTC.
        change('month', '2025-01-01', '2025-01-10 01:00:00.000', 1),
        change('month', '2025-01-01', '2025-01-10 16:59:00.000', 2),
        change('month', '2025-01-01', '2025-01-10 17:01:00.000', 3),
        change('month', '2025-01-01', '2025-01-11 03:00:00.000', 4),
        change('month', '2025-01-01', '2025-01-12 02:00:00.000', 0, 0),
        // 10 January 2025 during the day, then late data the next day.
        change('day', '2025-01-10', '2025-01-10 05:00:00.000', 1),
        change('day', '2025-01-10', '2025-01-10 12:00:00.000', 2),
        change('day', '2025-01-10', '2025-01-11 05:00:00.000', 3),
        change('year', '2025-01-01', recent, 7),
      ],
    });
    await clickhouse.command({ query: 'OPTIMIZE TABLE kpi_values_v1 FINAL' });
    await clickhouse.command({ query: 'OPTIMIZE TABLE kpi_values_daily_v1 FINAL' });

    // Every change of the last week only.
    expect(await numbers('SELECT period_kind, numerator AS n, value FROM kpi_values_v1')).toEqual([
      { period_kind: 'year', n: 7, value: 0.7 },
    ]);
    const daily = `SELECT period_kind, numerator AS n, value FROM kpi_values_daily_v1 FINAL
      ORDER BY period_kind, computed_at`;
    expect(await numbers(daily)).toEqual([
      { period_kind: 'day', n: 3, value: 0.3 },
      { period_kind: 'month', n: 2, value: 0.2 },
      { period_kind: 'month', n: 4, value: 0.4 },
      { period_kind: 'month', n: 0, value: null },
      { period_kind: 'year', n: 7, value: 0.7 },
    ]);
    // Merged: the same rows without FINAL.
    expect(await numbers(daily.replace(' FINAL', ''))).toEqual(await numbers(daily));
    // The newest value of every key is untouched.
    expect(
      await numbers('SELECT period_kind, numerator AS n, value FROM kpi_latest ORDER BY period_kind'),
    ).toEqual([
      { period_kind: 'day', n: 3, value: 0.3 },
      { period_kind: 'month', n: 0, value: null },
      { period_kind: 'year', n: 7, value: 0.7 },
    ]);
  });
});
