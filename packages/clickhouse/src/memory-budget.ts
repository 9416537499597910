import { byteSize, positiveInt, share } from '@dossier/config';
import { z } from 'zod';

/**
 * One memory budget for everything ClickHouse does for the pipeline, configured once and split:
 * engine caches, the pipeline's statements (ingest inserts, KPI cycles, rebuilds) and the analysts'
 * queries. Every statement carries its memory limit and spill thresholds derived from its share, so
 * an aggregation or a sort goes to disk instead of growing past it.
 */
export interface MemoryBudgetOptions {
  /** Bytes ClickHouse may use in all, caches included (the engine's max_server_memory_usage). */
  totalBytes: number;
  /** Share of what the caches leave that analysts' queries may use together. */
  analystsShare: number;
  /** Analysts' queries running at once; each may use its equal part of the analysts' share. */
  analystsConcurrency: number;
}

export interface MemoryBudget {
  totalBytes: number;
  cacheBytes: number;
  pipelineBytes: number;
  analystsBytes: number;
  analystQueryBytes: number;
  /** Server settings of the embedded engine, as `--name=value` arguments of its first connection. */
  engineArgs: string[];
  /** Settings every pipeline statement carries (embedded or over HTTP to a server). */
  pipelineSettings: Record<string, number>;
  /** The ingestor's inserts: the pipeline's limits, and a place ahead of every other statement. */
  ingestSettings: Record<string, number>;
  /** Settings every analyst query carries, before readonly=1 locks them. */
  analystSettings: Record<string, number>;
}

/** Caches take a tenth; mark and primary-index caches most of it, the rarely used ones a sliver. */
const CACHE_SHARE = 0.1;
const CACHES: [string, number][] = [
  ['mark_cache_size', 0.5],
  ['primary_index_cache_size', 0.2],
  ['index_mark_cache_size', 0.1],
  ['query_condition_cache_size', 0.05],
  ['compiled_expression_cache_size', 0.05],
  ['unique_key_index_cache_size_bytes', 0.02],
  ['parquet_metadata_cache_size', 0.02],
  ['iceberg_metadata_files_cache_size', 0.01],
  ['vector_similarity_index_cache_size', 0.01],
  ['text_index_tokens_cache_size', 0.01],
  ['text_index_header_cache_size', 0.01],
  ['text_index_postings_cache_size', 0.02],
];
/** Background merges get a soft limit inside the pipeline's share (they are pipeline work). */
const MERGES_SHARE_OF_PIPELINE = 0.25;
/**
 * Freed pages the engine's allocator (jemalloc) keeps for reuse are resident but not counted by its
 * memory tracker, so max_server_memory_usage does not bound them: they decay over 5 s, and the engine
 * purges them all once they pass this share of the budget (ClickHouse's default 0.2 let them reach
 * 1.1–1.3 GiB beside 0.4–0.9 GiB of tracked memory at 10M dossiers, bench/README.md). A twentieth of
 * the budget keeps the engine's resident memory close to what the budget counts.
 */
export const ALLOCATOR_SPARE_SHARE = 0.05;

/** Per-statement limits for a share: the cap, and spilling to disk at half of it. */
export function statementLimits(bytes: number): Record<string, number> {
  const limit = Math.floor(bytes);
  return {
    max_memory_usage: limit,
    max_bytes_before_external_group_by: Math.floor(limit / 2),
    max_bytes_before_external_sort: Math.floor(limit / 2),
  };
}

/** Below this statement cap an INSERT … SELECT writes its rows as the SELECT yields them (unsquashed). */
export const UNSQUASHED_BELOW_BYTES = 2 ** 30;

/**
 * Under a small cap, an INSERT … SELECT's rows are not squashed into larger blocks before they are written:
 * squashed, a 1M rebuild's cells (a shard of 232,000, its SELECT alone 1.3 s) and its live cells failed
 * under a 259 MiB cap (384 MiB budget) whatever the block size asked (65,536 rows too); unsquashed they
 * passed. A larger cap keeps ClickHouse's squashing (fewer, larger parts).
 */
function unsquashed(bytes: number): Record<string, number> {
  return bytes < UNSQUASHED_BELOW_BYTES
    ? { min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 }
    : {};
}

/**
 * Rows of a block the pipeline's statements yield under a small cap (below UNSQUASHED_BELOW_BYTES), so that an
 * INSERT … SELECT into a wide table writes small parts. Writing a part takes memory per column with its block,
 * not with its bytes alone: a block of 65,536 rows (ClickHouse's default) into kpi_stage_cells_v1 (41
 * columns) took 128–160 MiB for 50,000 rows and 256–384 MiB for 200,000 or 600,000 (allocations of 4.16 MiB
 * up to the cap; squashed into one block 128–192 MiB), whatever the SELECT; in blocks of 8,192 rows, under
 * 32 MiB. The live cells of 1M dossiers (191,572 rows) needed 128–144 MiB unsquashed, 80–96 MiB in such
 * blocks (their grouping then). Statements that must yield one chunk set their own (ONE_CHUNK_INSERT).
 */
export const SMALL_CAP_BLOCK_ROWS = 8_192;

function smallBlocks(bytes: number): Record<string, number> {
  return bytes < UNSQUASHED_BELOW_BYTES ? { max_block_size: SMALL_CAP_BLOCK_ROWS } : {};
}

export function memoryBudget(options: MemoryBudgetOptions): MemoryBudget {
  const { totalBytes, analystsShare, analystsConcurrency } = options;
  const cacheBytes = Math.floor(totalBytes * CACHE_SHARE);
  const work = totalBytes - cacheBytes;
  const analystsBytes = Math.floor(work * analystsShare);
  const pipelineBytes = work - analystsBytes;
  const analystQueryBytes = Math.floor(analystsBytes / analystsConcurrency);
  const caches = CACHES.map(([name, share]) => [name, Math.floor(cacheBytes * share)] as const);
  return {
    totalBytes,
    cacheBytes,
    pipelineBytes,
    analystsBytes,
    analystQueryBytes,
    engineArgs: [
      `--max_server_memory_usage=${Math.floor(totalBytes)}`,
      `--merges_mutations_memory_usage_soft_limit=${Math.floor(pipelineBytes * MERGES_SHARE_OF_PIPELINE)}`,
      `--memory_worker_purge_dirty_pages_threshold_ratio=${ALLOCATOR_SPARE_SHARE}`,
      '--uncompressed_cache_size=0',
      '--index_uncompressed_cache_size=0',
      ...caches.map(([name, bytes]) => `--${name}=${bytes}`),
    ],
    // Lower is sooner: a statement pauses between the blocks it reads while one of a lower number runs.
    // An insert of fresh events goes first (a KPI statement or a monitor read waits for it), then the
    // pipeline's statements, then the analysts' queries (#15).
    ingestSettings: { ...statementLimits(pipelineBytes), ...unsquashed(pipelineBytes), priority: 1 },
    pipelineSettings: {
      ...statementLimits(pipelineBytes),
      ...unsquashed(pipelineBytes),
      ...smallBlocks(pipelineBytes),
      priority: 2,
    },
    analystSettings: { ...statementLimits(analystQueryBytes), priority: 10 },
  };
}

/** The share of the budget every pipeline statement may use (what caches and analysts leave). */
function pipelineShare(analystsShare: number): number {
  return (1 - CACHE_SHARE) * (1 - analystsShare);
}

/**
 * The smallest CLICKHOUSE_MEMORY_BUDGET, with the default ANALYSTS_MEMORY_SHARE (0.25): a 1M-dossier rebuild
 * and every kind of cycle ran under 1 GiB (bench/README.md); under 384 MiB the rebuild, sliced, failed in
 * the Decision 766 statement (294 MiB of a 259 MiB cap), and 256 MiB is below that.
 */
export const MIN_MEMORY_BUDGET = 2 ** 30;
/**
 * The smallest cap a pipeline statement may run under (691 MiB, MIN_MEMORY_BUDGET's with the default
 * analysts' share); what grows with the history is cut by the cap (the rebuild's slices and cells,
 * rebuild-steps.ts; a cycle's applies); a larger analysts' share needs a larger budget.
 */
export const MIN_PIPELINE_STATEMENT_BYTES = Math.floor(pipelineShare(0.25) * MIN_MEMORY_BUDGET);

const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}MiB`;

/** CLICKHOUSE_MEMORY_BUDGET's default, sized for an 8 GB machine, and ANALYSTS_MEMORY_SHARE's. */
export const DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30;
export const DEFAULT_ANALYSTS_SHARE = 0.25;

/** The budget's environment, read by each composition root (embedded or distributed). */
export const MemoryBudgetConfig = z
  .object({
    /** Everything ClickHouse may use for this deployment; sized for an 8 GB machine by default. */
    CLICKHOUSE_MEMORY_BUDGET: byteSize().default(DEFAULT_MEMORY_BUDGET),
    ANALYSTS_MEMORY_SHARE: share()
      .default(DEFAULT_ANALYSTS_SHARE)
      .refine((s) => s > 0 && s < 1, 'between 0 and 1, exclusive'),
    ANALYSTS_MAX_CONCURRENT_QUERIES: positiveInt().max(64).default(2),
  })
  .superRefine((config, ctx) => {
    // Listed beside every other problem; not judged when the budget or the share is itself wrong.
    const budget = config.CLICKHOUSE_MEMORY_BUDGET;
    const analysts = config.ANALYSTS_MEMORY_SHARE;
    if (typeof budget !== 'number' || !(analysts > 0 && analysts < 1)) return;
    const cap = memoryBudget({
      totalBytes: budget,
      analystsShare: analysts,
      analystsConcurrency: 1,
    }).pipelineBytes;
    if (cap >= MIN_PIPELINE_STATEMENT_BYTES) return;
    const needed = Math.ceil(MIN_PIPELINE_STATEMENT_BYTES / pipelineShare(analysts));
    ctx.addIssue({
      code: 'custom',
      path: ['CLICKHOUSE_MEMORY_BUDGET'],
      message:
        `${mib(budget)} is below the minimum: it leaves each pipeline statement ${mib(cap)} (after the ` +
        `caches' tenth and ANALYSTS_MEMORY_SHARE=${analysts}), and the pipeline needs ` +
        `${mib(MIN_PIPELINE_STATEMENT_BYTES)}; set at least ${mib(needed)}` +
        `${needed > MIN_MEMORY_BUDGET ? ` (${mib(MIN_MEMORY_BUDGET)} with ANALYSTS_MEMORY_SHARE=0.25)` : ''}`,
    });
  });
export type MemoryBudgetConfig = z.output<typeof MemoryBudgetConfig>;

export function memoryBudgetOf(config: MemoryBudgetConfig): MemoryBudget {
  return memoryBudget({
    totalBytes: config.CLICKHOUSE_MEMORY_BUDGET,
    analystsShare: config.ANALYSTS_MEMORY_SHARE,
    analystsConcurrency: config.ANALYSTS_MAX_CONCURRENT_QUERIES,
  });
}
