import type { ClickHouse } from '@dossier/clickhouse';
import { insertBody } from './compact-rows.ts';
import { classifyError } from './errors.ts';
import type { IngestorMetrics } from './metrics.ts';
import type { Entry, TableName } from './prepare-batch.ts';

/** The only ClickHouse call the consume loop makes; tests inject faults by wrapping it. */
export type IngestorClickHouse = Pick<ClickHouse, 'insert'>;

export interface WriterDeps {
  clickhouse: IngestorClickHouse;
  metrics: IngestorMetrics;
  /** Races an await against the shutdown deadline (rejects with BatchAbandonedError). */
  guard: <T>(promise: Promise<T>) => Promise<T>;
}

export interface RowFailure {
  entry: Entry;
  error: unknown;
}

/**
 * One insert with a deduplication token: ClickHouse drops a block whose token it has already seen
 * (dossier_events_v1 keeps a non-replicated deduplication window), so a redelivered identical batch
 * writes nothing, and ReplacingMergeTree collapses the rest by event id.
 */
export async function insertRows(
  deps: WriterDeps,
  table: TableName | 'dead_letters_v2',
  values: readonly object[],
  token: string,
): Promise<void> {
  const end = deps.metrics.insertDuration.startTimer({ table });
  try {
    await deps.guard(
      deps.clickhouse.insert({
        table,
        ...insertBody(table, values),
        clickhouse_settings: { insert_deduplication_token: token },
      }),
    );
    end();
  } catch (error) {
    const { kind, code } = classifyError(error);
    if (kind !== 'abandoned') deps.metrics.clickhouseErrors.inc({ code });
    throw error;
  }
}

/**
 * Inserts a batch's rows for one table. When ClickHouse rejects the data itself (a parse or type
 * error: the normalizer let through something the table cannot hold), the rows are bisected so the
 * good ones land and each offending row is returned for dead-lettering instead of blocking the
 * partition forever. Transient errors propagate: the whole batch is retried later.
 */
export async function writeTable(
  deps: WriterDeps,
  table: TableName,
  entries: Entry[],
  token: string,
): Promise<RowFailure[]> {
  try {
    await insertRows(
      deps,
      table,
      entries.map((e) => e.row),
      token,
    );
    return [];
  } catch (error) {
    if (classifyError(error).kind !== 'row') throw error;
    const [only] = entries;
    if (entries.length === 1 && only) return [{ entry: only, error }];
    const middle = Math.ceil(entries.length / 2);
    // Sub-range tokens stay deterministic, so a retried bisection deduplicates like a whole batch.
    const left = await writeTable(deps, table, entries.slice(0, middle), `${token}/0-${middle}`);
    const right = await writeTable(
      deps,
      table,
      entries.slice(middle),
      `${token}/${middle}-${entries.length}`,
    );
    return [...left, ...right];
  }
}
