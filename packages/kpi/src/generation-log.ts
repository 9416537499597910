import type { ClickHouse } from '@dossier/clickhouse';
import type { KpiDefinition } from './kpi-definition.ts';
import { GENERATION_LOG_TABLE, readGenerationLogSql } from './sql/generation.sql.ts';
import { JUDGED_NAME, WATERMARK_NAME, WATERMARK_TABLE } from './sql/watermark.sql.ts';
import { type RunTotals, runTotalsOf, statements } from './statements.ts';

// The generation log (table kpi_cycles_v1), shared by every aggregator instance: each KPI run that
// changes the incremental state claims the next generation, and records it committed once its writes
// landed, released when it failed after the claim, or abandoned when the tables may hold part of it.

/**
 * How this code cuts an apply into blocks (sql/generation.sql.ts ONE_CHUNK_INSERT, each table's apply cut
 * into `shards` statements by key, complete-generation.ts applyCellDeltas), recorded with each claim as
 * `sharded-v2/<shards>` (migration 0261): the engine skips a re-run's block by the token and the numbers of
 * the SELECT's chunks in it, so a generation applied in part by code that cut other blocks (the sorted
 * apply before 581c575: a chunk per 65,409 cells) would be applied again in full by this code, and the
 * other way round. The run finishing a generation applies it in as many shards as its claim says, so a
 * re-run writes the same blocks under the same tokens whatever its own memory limit. 'sharded-v2' copies
 * the staged cell rows as they are (sql/generation.sql.ts applyCellsSql), 'sharded-v1' summed them per cell
 * first: a generation claimed by either is finished with its own statements (applyCutOf). A pending
 * generation of another format (or none: claimed by older code) is abandoned, and the next run rebuilds
 * (complete-generation.ts settlePending). Change it with any change to the applies' chunking or rows.
 */
export const APPLY_FORMAT = 'sharded-v2';

/** The apply format recorded with a claim whose applies are cut into `shards` statements each. */
export function applyFormat(shards: number): string {
  return `${APPLY_FORMAT}/${shards}`;
}

/** How a claim's applies are cut: into how many shards, and whether the cells' apply sums them per cell. */
export interface ApplyCut {
  shards: number;
  /** The cells' apply of 'sharded-v1' and 'one-chunk-v1': the staged rows summed per cell. */
  summedCells: boolean;
}

/**
 * How a claim's applies are cut; undefined for a claim of another format (or none). 'one-chunk-v1'
 * (1e54e44) is 'sharded-v1' in one shard: the same statements and tokens.
 */
export function applyCutOf(format: string): ApplyCut | undefined {
  if (format === 'one-chunk-v1') return { shards: 1, summedCells: true };
  const [, version, shards] = /^sharded-v([12])\/(\d+)$/.exec(format) ?? [];
  if (shards === undefined || Number(shards) < 1) return undefined;
  return { shards: Number(shards), summedCells: version === '1' };
}

export interface Generation {
  gen: number;
  run_id: string;
  kind: 'cycle' | 'rebuild' | 'range';
  state: 'staged' | 'committed' | 'released' | 'abandoned';
  judged_at: string;
  window_to: string;
  day_floor: string;
  layout: string;
  /** What the generation computed values for (computedKey); '' for a range and for older generations. */
  computed: string;
  /**
   * Whose live cells (kpi_stage_cells_v1, role 'live') hold the open dossiers judged at `judged_at`, on
   * a committed generation; '' when none are known (a range, older generations).
   */
  live_id: string;
  /**
   * Where those live cells are (migration 0251): the 'live' rows of `live_base` ('' for `live_id`) plus
   * the 'crossed' rows of the runs in `live_links` (a cycle that added its crossed cells to the previous
   * generation's instead of copying them: sql/cells.sql.ts LIVE_ROWS).
   */
  live_base: string;
  live_links: string[];
  /**
   * How the claiming code cuts its applies into blocks (applyFormat, migration 0261); '' for a claim
   * of older code. Only the claim's ('staged') row carries it.
   */
  apply_format: string;
  created_at: string;
}

/** Where a generation's live cells are: the 'live' rows of `base` plus the 'crossed' rows of `links`. */
export interface LiveChain {
  base: string;
  links: string[];
}

/** The live cells of a committed generation (undefined when it recorded none). */
export function liveChainOf(generation: Generation): LiveChain | undefined {
  if (generation.live_id === '') return undefined;
  return { base: generation.live_base || generation.live_id, links: generation.live_links ?? [] };
}

/** What a run records when it claims a generation (its state and time are added on writing). */
export type Claim = Omit<
  Generation,
  'created_at' | 'state' | 'live_id' | 'live_base' | 'live_links' | 'apply_format'
>;

/** A row of the log; a state recorded on an existing claim keeps the claim's `created_at`. */
type GenerationRow = Omit<
  Generation,
  'created_at' | 'live_id' | 'live_base' | 'live_links' | 'apply_format'
> & {
  created_at?: string;
  apply_format?: string;
  live_id?: string;
  live_base?: string;
  live_links?: string[];
};

export interface GenerationLog {
  committed?: Generation;
  /** The generation after the committed one, claimed by a run that has not committed it (yet). */
  pending?: Generation;
  /** The pending generation's run failed after its claim: another run may finish it at once. */
  released: boolean;
  /** A run gave that generation up part way: the tables may hold part of it, only a rebuild is safe. */
  interrupted: boolean;
  /**
   * The server's clock when the log was read (`YYYY-MM-DD HH:MM:SS.mmm` UTC): read with it, so later than
   * every row it shows was written (a commit seen here lies before it, and so do its values' computed_at).
   */
  serverNow: string;
}

type LogRow = Generation & { gen: string | number; server_now: string };

export async function readGenerationLog(clickhouse: ClickHouse): Promise<GenerationLog> {
  return (await readLog(clickhouse)).log;
}

/** The log, and with `totalsOf` a run's totals (RUN_TOTALS_COLUMNS), in one read. */
async function readLog(
  clickhouse: ClickHouse,
  totalsOf?: string,
): Promise<{ log: GenerationLog; totals?: RunTotals }> {
  const sql = statements(clickhouse);
  const read = await sql.rows<LogRow & Partial<Record<'run_periods' | 'run_written', string | number>>>(
    readGenerationLogSql(totalsOf !== undefined),
    totalsOf === undefined ? {} : { run_id: totalsOf },
  );
  // The clock and totals are the read's, not the rows': a row recorded again (committed, released) is the log's.
  const rows = read.map(({ server_now: _, run_periods: __, run_written: ___, ...r }) => ({
    ...r,
    gen: Number(r.gen),
    live_links: r.live_links ?? [],
  }));
  const committed = rows.filter((r) => r.state === 'committed').at(-1);
  const next = (committed?.gen ?? 0) + 1;
  const abandoned = new Set(
    rows.filter((r) => r.gen === next && r.state === 'abandoned').map((r) => r.run_id),
  );
  const pending = rows.find((r) => r.gen === next && r.state === 'staged' && !abandoned.has(r.run_id));
  const released = rows.some((r) => r.gen === next && r.state === 'released' && r.run_id === pending?.run_id);
  // An empty log (a new store) has no row to carry the clock.
  const serverNow = read[0]?.server_now ?? (await sql.serverNow());
  return {
    log: { committed, pending, released, interrupted: abandoned.size > 0, serverNow },
    totals: totalsOf === undefined ? undefined : runTotalsOf(read[0]),
  };
}

/**
 * Records this run's claim on `gen`, its applies cut into `shards` statements each (applyFormat); returns
 * why it lost, or undefined when its claim came first.
 */
export async function claimGeneration(
  clickhouse: ClickHouse,
  claim: Claim,
  shards = 1,
): Promise<string | undefined> {
  return (await claimGenerationAt(clickhouse, claim, shards)).lost;
}

/**
 * claimGeneration, with the server's clock read with the log after the claim (`serverNow`): later than
 * every value of the generations committed before this one, so the claiming run can stamp its values
 * with it (kpi_current_v1 keeps the row with the latest computed_at) without a read of its own.
 */
export async function claimGenerationAt(
  clickhouse: ClickHouse,
  claim: Claim,
  shards = 1,
): Promise<{ lost?: string; serverNow: string }> {
  await recordGeneration(clickhouse, { ...claim, state: 'staged', apply_format: applyFormat(shards) });
  const { committed, pending, serverNow } = await readGenerationLog(clickhouse);
  if (committed && committed.gen >= claim.gen) {
    return { lost: `generation ${claim.gen} was committed by another run`, serverNow };
  }
  if (pending?.gen === claim.gen && pending.run_id === claim.run_id) return { serverNow };
  return {
    lost: `generation ${claim.gen} was claimed first by run ${pending?.run_id ?? 'unknown'}`,
    serverNow,
  };
}

/** Marks a claimed generation given up part way: the next run rebuilds instead of finishing it. */
export async function abandonGeneration(clickhouse: ClickHouse, claim: Claim | Generation): Promise<void> {
  await recordGeneration(clickhouse, { ...claim, state: 'abandoned', live_id: '' });
}

/**
 * Runs the applying steps of a claimed generation; if one fails (ClickHouse unreachable, a bug), the claim
 * is released so that the next run finishes the generation at once instead of waiting for it to go stale.
 */
export async function releasingOnFailure<T>(
  clickhouse: ClickHouse,
  claim: Claim,
  apply: () => Promise<T>,
): Promise<T> {
  try {
    return await apply();
  } catch (err) {
    await releaseGeneration(clickhouse, claim).catch(() => {});
    throw err;
  }
}

/** Marks this run's claim given up: the next run finishes (or resumes) the generation without waiting. */
export async function releaseGeneration(clickhouse: ClickHouse, claim: Claim): Promise<void> {
  const { pending } = await readGenerationLog(clickhouse);
  if (pending?.gen === claim.gen && pending.run_id === claim.run_id) {
    await recordGeneration(clickhouse, { ...pending, state: 'released', live_id: '' });
  }
}

/**
 * Records the claimed generation committed (unless another run already committed or gave it up) and
 * the watermark rows read by readiness and the monitor: every KPI's, and — unless `keepWatermark` (a
 * range or a backfill's rebuild leaves it to the cycles) — the ingestion watermark and judged instant.
 * `liveId` owns live cells of every running period judged at the generation's instant ('' for none);
 * `chain` says where they are when they are not its own 'live' rows (a chained or quiet cycle). With
 * `totalsOf`, returns that run's totals (RUN_TOTALS_COLUMNS), read with the log (its writes are done).
 */
export async function commitGeneration(
  clickhouse: ClickHouse,
  claim: Claim,
  kpis: KpiDefinition[],
  keepWatermark: boolean,
  liveId: string,
  chain?: LiveChain,
  totalsOf?: string,
): Promise<RunTotals | undefined> {
  const { log, totals } = await readLog(clickhouse, totalsOf);
  const { pending } = log;
  if (pending?.gen === claim.gen && pending.run_id === claim.run_id) {
    // Live cells written whole under the generation's own id are recorded as before 0251: base '', no link.
    const linked = chain && liveId !== '' && (chain.base !== liveId || chain.links.length > 0);
    const where = linked ? { live_base: chain.base, live_links: chain.links } : {};
    await recordGeneration(clickhouse, { ...pending, state: 'committed', live_id: liveId, ...where });
  }
  // Every watermark row in one insert (each statement costs its fixed share), stamped with the clock read
  // with the log just before.
  const windowTo = [...(keepWatermark ? [] : [WATERMARK_NAME]), ...kpis.map((k) => `kpi:${k.id}`)];
  const rows = [
    ...windowTo.map((name) => ({ name, watermark: claim.window_to })),
    ...(keepWatermark ? [] : [{ name: JUDGED_NAME, watermark: claim.judged_at }]),
  ];
  await clickhouse.insert({
    table: WATERMARK_TABLE,
    values: rows.map((row) => ({ ...row, updated_at: log.serverNow })),
    format: 'JSONEachRow',
  });
  return totals;
}

async function recordGeneration(clickhouse: ClickHouse, row: GenerationRow): Promise<void> {
  await clickhouse.insert({ table: GENERATION_LOG_TABLE, values: [row], format: 'JSONEachRow' });
}
