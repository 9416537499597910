import type { ClickHouse } from '@dossier/clickhouse';
import type { Claim } from './generation-log.ts';
import { statements } from './statements.ts';

// A rebuild's durable progress (table kpi_rebuild_steps_v1, migration 0180): the run that takes over a
// rebuild whose process died skips the steps recorded there, so a SIGKILL costs at most one slice.

/** Default dossiers per slice of a rebuild: what one slice's merge of the dossier state holds at once. */
export const DEFAULT_SLICE_DOSSIERS = 500_000;

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
