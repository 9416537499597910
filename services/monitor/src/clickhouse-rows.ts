import type { ClickHouse } from '@dossier/clickhouse';
import type { z } from 'zod';
import type { BoundQuery } from './queries/kpi.queries.ts';

/** Runs a bound query and parses every row (parse, never cast: the tables are another team's contract). */
export async function queryRows<S extends z.ZodType>(
  clickhouse: ClickHouse,
  bound: BoundQuery,
  row: S,
): Promise<z.output<S>[]> {
  const result = await clickhouse.query({ ...bound, format: 'JSONEachRow' });
  const raw = await result.json<unknown>();
  return raw.map((r) => row.parse(r));
}
