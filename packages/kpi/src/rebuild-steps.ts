import {
  type ClickHouse,
  DEFAULT_ANALYSTS_SHARE,
  DEFAULT_MEMORY_BUDGET,
  memoryBudget,
} from '@dossier/clickhouse';
import type { Claim } from './generation-log.ts';
import { statements } from './statements.ts';

// A rebuild's durable progress (table kpi_rebuild_steps_v1, migration 0180): the run that takes over a
// rebuild whose process died skips the steps recorded there, so a SIGKILL costs at most one slice.

/**
 * At most this many dossiers per slice of a rebuild: under a large statement cap a slice is this size (the
 * default budget's cap fits about 1.4M), as before slices followed the cap.
 */
export const DEFAULT_SLICE_DOSSIERS = 500_000;
/**
 * Memory one slice's merge of the dossier state takes per dossier, rounded up: dossiers_v1's ~40 aggregate
 * states per dossier, in an arena that grows by doubling chunks, so a slice may take twice its states
 * before its spill at half the cap is checked (1M bench history, chDB 26.7, statement caps and spill as
 * memory-budget.ts statementLimits gives: 16,000 dossiers passed under 96 MiB and 20,000 failed; 75,000
 * passed under 173 MiB; 250,000 passed under 259 MiB and 500,000 failed; bench/README.md).
 */
export const SLICE_BYTES_PER_DOSSIER = 1_000;
/** What a slice's statement takes besides its dossiers: reading the state's columns (12,500 dossiers failed under 64 MiB). */
export const SLICE_OVERHEAD_BYTES = 40 * 2 ** 20;
/** At least this many dossiers per slice (one granule of dossier_state_v1), whatever the cap. */
export const MIN_SLICE_DOSSIERS = 8_192;

/**
 * Dossiers per slice of a rebuild under a statement memory cap of `cap` bytes (0: none): a slice's states
 * are to take at most half of it beside its overhead, as an apply's shard does (complete-generation.ts
 * shardsFor), between MIN_SLICE_DOSSIERS and DEFAULT_SLICE_DOSSIERS. 173 MiB (a 256 MiB budget's cap):
 * about 49,000; 259 MiB (384 MiB): about 94,000; the default budget's 2.7 GiB: DEFAULT_SLICE_DOSSIERS.
 */
export function sliceDossiersFor(cap: number): number {
  if (!(cap > 0)) return DEFAULT_SLICE_DOSSIERS;
  const fit = Math.floor((cap / 2 - SLICE_OVERHEAD_BYTES) / SLICE_BYTES_PER_DOSSIER);
  return Math.min(DEFAULT_SLICE_DOSSIERS, Math.max(MIN_SLICE_DOSSIERS, fit));
}

/**
 * The statement cap of the default budget (4 GiB × 0.9 × 0.75, memory-budget.ts), under which a rebuild's
 * cells of a kind were built in one statement at 10M dossiers (bench/README.md).
 */
export const DEFAULT_STATEMENT_CAP = memoryBudget({
  totalBytes: DEFAULT_MEMORY_BUDGET,
  analystsShare: DEFAULT_ANALYSTS_SHARE,
  analystsConcurrency: 1,
}).pipelineBytes;
/** At most this many statements per period kind's cells. */
export const MAX_CELL_SHARDS = 64;

/**
 * Statements a rebuild's cells of a period kind are cut into (by agency and procedure) under a statement
 * cap of `cap` bytes (0: none): their GROUP BY and its spilled merge take memory with the cells, not the
 * slices, and failed a 1M rebuild under a 259 MiB cap (a 384 MiB budget). One under the default budget's
 * cap or more; below it, as many as it is times the cap.
 */
export function cellShardsFor(cap: number): number {
  if (!(cap > 0)) return 1;
  return Math.min(MAX_CELL_SHARDS, Math.max(1, Math.ceil(DEFAULT_STATEMENT_CAP / cap)));
}

/** The memory cap (max_memory_usage, 0: none) the client's statements run under, bytes. */
export async function statementCap(clickhouse: ClickHouse): Promise<number> {
  const [row] = await statements(clickhouse).rows<{ cap: string | number }>(
    "SELECT getSetting('max_memory_usage') AS cap",
  );
  return Number(row?.cap ?? 0);
}

/** What a rebuild decided before its first slice, recorded so that whoever resumes it does the same. */
export interface RebuildSlicing {
  /** Lower bounds of the slices' dossier codes after the first ('' is the first slice's). */
  bounds: string[];
  /** A backfill's range of periods, or every period. */
  periods: 'all' | { from: string; to: string };
}

/** A rebuild is the generation with its instant and window: a fresh rebuild of the same generation differs. */
export function rebuildId(claim: Pick<Claim, 'gen' | 'judged_at' | 'window_to'>): string {
  return `${claim.gen}|${claim.judged_at}|${claim.window_to}`;
}

/** The steps of a rebuild recorded as done, by name, with their detail. */
export async function readSteps(clickhouse: ClickHouse, rebuild: string): Promise<Map<string, string>> {
  const rows = await statements(clickhouse).rows<{ step: string; detail: string }>(
    'SELECT step, any(detail) AS detail FROM kpi_rebuild_steps_v1 WHERE rebuild = {rebuild:String} GROUP BY step',
    { rebuild },
  );
  return new Map(rows.map((r) => [r.step, r.detail]));
}

export async function recordStep(
  clickhouse: ClickHouse,
  rebuild: string,
  runId: string,
  step: string,
  detail = '',
): Promise<void> {
  await clickhouse.insert({
    table: 'kpi_rebuild_steps_v1',
    values: [{ rebuild, step, run_id: runId, detail }],
    format: 'JSONEachRow',
  });
}

export const sliceStep = (i: number, of: number) => `facts ${i + 1}/${of}`;

/**
 * Lower bounds of slices of about `perSlice` dossiers each, from dossier_state_v1's primary index: the
 * first key of every granule of every part (mergeTreeIndex), sorted, cut every `perSlice` rows. Reads
 * the index only (a few thousand rows at 50 million dossiers). Parts not merged yet count a dossier more
 * than once, which only makes slices smaller.
 */
export async function sliceBounds(clickhouse: ClickHouse, perSlice: number): Promise<string[]> {
  const marks = await statements(clickhouse).rows<{ code: string; rows: string | number }>(
    `SELECT dossier_code AS code, rows_in_granule AS rows
     FROM mergeTreeIndex(currentDatabase(), dossier_state_v1)
     WHERE rows_in_granule > 0
     ORDER BY code`,
  );
  const bounds = [''];
  let inSlice = 0;
  for (const mark of marks) {
    const rows = Number(mark.rows);
    if (inSlice > 0 && inSlice + rows > perSlice && mark.code > (bounds.at(-1) ?? '')) {
      bounds.push(mark.code);
      inSlice = 0;
    }
    inSlice += rows;
  }
  return bounds;
}

/** The [from, to) dossier codes of slice `i` ('' as `to`: no upper bound). */
export function sliceRange(bounds: readonly string[], i: number): { slice_from: string; slice_to: string } {
  return { slice_from: bounds[i] ?? '', slice_to: bounds[i + 1] ?? '' };
}
