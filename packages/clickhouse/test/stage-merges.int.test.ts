// Scratch tables' merges (migrations 0274, 0275): a large staged generation is read by its own cycle and
// dropped with its hour, so it is never merged; small stagings still are. OPTIMIZE without FINAL asks the
// merge selector for one merge under the same size cap as the background merges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

const counters = Array.from({ length: 32 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

/** The hour `ahead` hours after the current one (its partition; ahead of the 6-hour TTL). */
const hour = (ahead: number) => `toStartOfHour(now()) + INTERVAL ${ahead} HOUR`;

/** Stages `rows` cells of random counts (incompressible: ~256 bytes a row) for `runId` in `at`'s partition. */
async function stageCells(runId: string, rows: number, at: string): Promise<void> {
  await ch.clickhouse.command({
    query: `INSERT INTO kpi_stage_cells_v1 (run_id, role, period_kind, period_start, admin_level, agency_code,
        field_code, procedure_code, ${counters.join(', ')}, created_at)
      SELECT '${runId}', 'new', 'day', toDate('2026-11-26') + number % 30, 'agency', toString(number % 300), '', '',
        ${counters.map(() => 'toInt64(rand64() % 1000000000)').join(', ')}, ${at}
      FROM numbers(${rows})`,
  });
}

async function parts(at: string): Promise<number> {
  const result = await ch.clickhouse.query({
    query: `SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND active
      AND table = 'kpi_stage_cells_v1' AND partition_id = toString(toUnixTimestamp(${at}))`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

describe('staged cells merges', () => {
  it('merges small stagings and leaves large ones (over 4 MiB together) unmerged', async () => {
    const small = hour(1);
    await stageCells('small-1', 1_000, small);
    await stageCells('small-2', 1_000, small);
    await ch.clickhouse.command({ query: 'OPTIMIZE TABLE kpi_stage_cells_v1' });
    expect(await parts(small)).toBe(1);

    const large = hour(2);
    await stageCells('large-1', 12_000, large);
    await stageCells('large-2', 12_000, large);
    await ch.clickhouse.command({ query: 'OPTIMIZE TABLE kpi_stage_cells_v1' });
    expect(await parts(large)).toBe(2);
  });
});
