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
    ingestSettings: { ...statementLimits(pipelineBytes), priority: 1 },
    pipelineSettings: { ...statementLimits(pipelineBytes), priority: 2 },
    analystSettings: { ...statementLimits(analystQueryBytes), priority: 10 },
  };
}

/** The budget's environment, read by each composition root (embedded or distributed). */
export const MemoryBudgetConfig = z.object({
  /** Everything ClickHouse may use for this deployment; sized for an 8 GB machine by default. */
  CLICKHOUSE_MEMORY_BUDGET: byteSize()
    .default(4 * 2 ** 30)
    .refine((b) => b >= 256 * 2 ** 20, 'at least 256MiB'),
  ANALYSTS_MEMORY_SHARE: share()
    .default(0.25)
    .refine((s) => s > 0 && s < 1, 'between 0 and 1, exclusive'),
  ANALYSTS_MAX_CONCURRENT_QUERIES: positiveInt().max(64).default(2),
});
export type MemoryBudgetConfig = z.output<typeof MemoryBudgetConfig>;

export function memoryBudgetOf(config: MemoryBudgetConfig): MemoryBudget {
  return memoryBudget({
    totalBytes: config.CLICKHOUSE_MEMORY_BUDGET,
    analystsShare: config.ANALYSTS_MEMORY_SHARE,
    analystsConcurrency: config.ANALYSTS_MAX_CONCURRENT_QUERIES,
  });
}
