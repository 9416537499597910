import type { ClickHouse } from '@dossier/clickhouse';
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
 * Memory one slice's merge of the dossier state takes per dossier, rounded up: its AggregatingTransform
 * over dossiers_v1's ~40 aggregate states per dossier does not spill in time (1M bench history, chDB 26.7:
 * 100,000 dossiers failed under a 96 MiB cap and passed under 160; 250,000 failed under 160 and passed
 * under 259, bench/README.md).
 */
export const SLICE_BYTES_PER_DOSSIER = 1_000;
/** What a slice's statement takes besides its dossiers (catalog join, insert buffers). */
export const SLICE_OVERHEAD_BYTES = 16 * 2 ** 20;
/** At least this many dossiers per slice (a few granules of dossier_state_v1), whatever the cap. */
export const MIN_SLICE_DOSSIERS = 10_000;

/**
 * Dossiers per slice of a rebuild under a statement memory cap of `cap` bytes (0: none): a slice is to
 * take at most half of it, its overhead included, as an apply's shard does (complete-generation.ts
 * shardsFor), between MIN_SLICE_DOSSIERS and DEFAULT_SLICE_DOSSIERS.
 */
export function sliceDossiersFor(cap: number): number {
  if (!(cap > 0)) return DEFAULT_SLICE_DOSSIERS;
  const fit = Math.floor((cap / 2 - SLICE_OVERHEAD_BYTES) / SLICE_BYTES_PER_DOSSIER);
  return Math.min(DEFAULT_SLICE_DOSSIERS, Math.max(MIN_SLICE_DOSSIERS, fit));
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
