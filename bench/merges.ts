// Background merges around the aggregate bench's timed cycles (aggregate.bench.ts): the embedded engine
// runs them in the bench's process, so one running during a cycle takes a core from its statements.
import type { ClickHouse } from '@dossier/clickhouse';

/** Merges finished (system.events counters): how many, their rows, their summed seconds. */
export interface MergeCounters {
  count: number;
  rows: number;
  seconds: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Polls in a row that must see no merge: a merge ends and the next one (of the parts it wrote, or of a
 * table the arrivals reached) may start between two polls, and would then run inside the timed cycle. */
const SETTLED_POLLS = 8;

/** Waits (up to 10 minutes) until ClickHouse has run no background merge for 2 s; returns the seconds waited. */
export async function settle(clickhouse: ClickHouse): Promise<number> {
  const began = performance.now();
  let idle = 0;
  while (idle < SETTLED_POLLS && performance.now() - began < 600_000) {
    const result = await clickhouse.query({
      query: 'SELECT count() AS n FROM system.merges',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    idle = Number(row?.n ?? 0) === 0 ? idle + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return round((performance.now() - began) / 1000);
}

/** The engine's merge counters (system.events): a timed cycle reports the merges that ran during it. */
export async function mergeCounters(clickhouse: ClickHouse): Promise<MergeCounters> {
  const result = await clickhouse.query({
    query: `SELECT sumIf(value, event = 'Merge') AS count, sumIf(value, event = 'MergedRows') AS rows,
      sumIf(value, event = 'MergeTotalMilliseconds') AS ms
      FROM system.events WHERE event IN ('Merge', 'MergedRows', 'MergeTotalMilliseconds')`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<'count' | 'rows' | 'ms', string | number>>();
  return {
    count: Number(row?.count ?? 0),
    rows: Number(row?.rows ?? 0),
    seconds: Number(row?.ms ?? 0) / 1000,
  };
}
