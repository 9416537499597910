// What takes a process's resident memory when it holds the embedded engine (#15): the process's own view
// (Linux /proc, Node's process.memoryUsage()) beside the engine's accounting (its memory tracker, its
// caches, primary keys held by parts, and its allocator's totals), and what neither explains.
import { readFileSync } from 'node:fs';
import type { EmbeddedSession } from '@dossier/clickhouse';

/** The process's side, bytes: /proc/self/status's resident split and Node's heap and external memory. */
export interface ProcessMemory {
  rss: number;
  /** Anonymous pages (heaps, stacks, the engine's allocations). */
  rssAnon: number;
  /** Pages of mapped files (libchdb.so's code and data, node itself) and shared memory. */
  rssFile: number;
  heapTotal: number;
  heapUsed: number;
  /** C++ objects bound to JS (Buffers, ArrayBuffers included): malloc'd outside the V8 heap. */
  external: number;
  arrayBuffers: number;
}

/** The allocator's totals (jemalloc's malloc_stats_print, system.jemalloc_stats), bytes. */
export interface AllocatorTotals {
  allocated: number;
  active: number;
  metadata: number;
  resident: number;
  mapped: number;
  retained: number;
  /** Freed pages the arenas keep for reuse until they decay or are purged (all arenas merged). */
  dirty: number;
}

/** The engine's side, bytes, from its system tables. */
export interface EngineMemory {
  /** system.metrics MemoryTracking: what the engine counts against max_server_memory_usage. */
  tracked: number;
  /** system.metrics MergesMutationsMemoryTracking: background merges' part of it. */
  merges: number;
  /** system.metrics `*CacheBytes` that hold anything, by metric name. */
  caches: Record<string, number>;
  /** system.parts: primary keys and index granularity held in memory by parts (active or not). */
  primaryKeys: number;
  allocator: AllocatorTotals;
}

/**
 * Resident memory split into parts that add up to it, MiB. The engine's part is what its memory tracker
 * counts (caches and primary keys broken out of it) plus what its allocator keeps resident beyond its
 * allocations (freed pages not yet returned, metadata): the tracker does not count the latter, so
 * max_server_memory_usage does not bound it.
 */
export interface RssParts {
  rss: number;
  /** Mapped files: mostly the engine's library code (~540 MB on disk) as far as it has been touched. */
  files: number;
  v8Heap: number;
  v8HeapUsed: number;
  /** Node's memory outside the V8 heap (Buffers, ArrayBuffers), in the C library's heap. */
  nodeExternal: number;
  /** The engine's tracked memory (caches and primary keys included). */
  engineTracked: number;
  engineCaches: number;
  enginePrimaryKeys: number;
  /** Tracked memory neither cache nor primary key: statements, merges, parts' other metadata. */
  engineWork: number;
  engineMerges: number;
  /** The allocator's resident pages beyond its live allocations: outside the engine's tracker and budget. */
  allocatorKept: number;
  /** Of allocatorKept: freed pages the arenas keep (dirty), until they decay (5 s) or are purged. */
  allocatorDirty: number;
  /** The allocator's retained virtual memory (not resident; reused before new mappings). */
  allocatorRetained: number;
  /** The rest: thread stacks, the C library's own arenas, large mappings not tracked; negative if over-counted. */
  unaccounted: number;
}

const MIB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

/** Splits the resident set; pure arithmetic over one sample of each side. */
export function rssParts(process: ProcessMemory, engine?: EngineMemory): RssParts {
  const caches = engine ? Object.values(engine.caches).reduce((sum, bytes) => sum + bytes, 0) : 0;
  const tracked = engine?.tracked ?? 0;
  const primaryKeys = engine?.primaryKeys ?? 0;
  const kept = engine ? Math.max(0, engine.allocator.resident - engine.allocator.allocated) : 0;
  const accounted = process.rssFile + process.heapTotal + process.external + tracked + kept;
  return {
    rss: mib(process.rss),
    files: mib(process.rssFile),
    v8Heap: mib(process.heapTotal),
    v8HeapUsed: mib(process.heapUsed),
    nodeExternal: mib(process.external),
    engineTracked: mib(tracked),
    engineCaches: mib(caches),
    enginePrimaryKeys: mib(primaryKeys),
    engineWork: mib(Math.max(0, tracked - caches - primaryKeys)),
    engineMerges: mib(engine?.merges ?? 0),
    allocatorKept: mib(kept),
    allocatorDirty: mib(engine?.allocator.dirty ?? 0),
    allocatorRetained: mib(engine?.allocator.retained ?? 0),
    unaccounted: mib(process.rss - accounted),
  };
}

/** The totals line of jemalloc's statistics ("Allocated: …, active: …, metadata: … (…), resident: …, …"). */
export function parseAllocatorTotals(stats: string): AllocatorTotals | undefined {
  const line =
    /Allocated: (\d+), active: (\d+), metadata: (\d+)(?: \([^)]*\))?, resident: (\d+), mapped: (\d+), retained: (\d+)/.exec(
      stats,
    );
  if (!line) return undefined;
  const [allocated, active, metadata, resident, mapped, retained] = line.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // "Merged arenas stats: … decaying:  time  npages … \n   dirty:   N/A   1126 …" (pages of "Page size: 4096").
  const pages = /Merged arenas stats:[\s\S]*?\n\s*dirty:\s+\S+\s+(\d+)/.exec(stats)?.[1];
  const pageSize = Number(/Page size: (\d+)/.exec(stats)?.[1] ?? 4096);
  return { allocated, active, metadata, resident, mapped, retained, dirty: Number(pages ?? 0) * pageSize };
}

/** This process's memory now (Linux). */
export function processMemory(): ProcessMemory {
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return {
    rss: kb('VmRSS') || usage.rss,
    rssAnon: kb('RssAnon'),
    rssFile: kb('RssFile') + kb('RssShmem'),
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  };
}

/**
 * One statement reading the engine's accounting (one statement, so its parts are read close together), as
 * one JSONEachRow row: `metrics` ([name, value] pairs), `parts` (bytes), `allocator` (jemalloc's text).
 */
export const ENGINE_MEMORY_QUERY = `SELECT
    (SELECT groupArray((metric, value)) FROM system.metrics
      WHERE metric IN ('MemoryTracking', 'MergesMutationsMemoryTracking') OR (metric LIKE '%CacheBytes' AND value > 0)) AS metrics,
    (SELECT sum(primary_key_bytes_in_memory_allocated) + sum(index_granularity_bytes_in_memory_allocated)
      FROM system.parts) AS parts,
    (SELECT any(stats) FROM system.jemalloc_stats) AS allocator`;

/** The engine's accounting from the row of {@link ENGINE_MEMORY_QUERY}. */
export function engineMemoryOf(row: {
  metrics: [string, number | string][];
  parts: number | string;
  allocator: string;
}): EngineMemory | undefined {
  const allocator = parseAllocatorTotals(row.allocator);
  if (!allocator) return undefined;
  const metric = (name: string) => Number(row.metrics.find(([m]) => m === name)?.[1] ?? 0);
  return {
    tracked: metric('MemoryTracking'),
    merges: metric('MergesMutationsMemoryTracking'),
    caches: Object.fromEntries(
      row.metrics.filter(([m]) => m.endsWith('CacheBytes')).map(([m, value]) => [m, Number(value)]),
    ),
    primaryKeys: Number(row.parts),
    allocator,
  };
}

/** The resident set's parts now; the engine's side when it is embedded (read on `session`). */
export async function sampleParts(session: EmbeddedSession | undefined): Promise<RssParts> {
  if (!session) return rssParts(processMemory());
  const [row] = JSON.parse(`[${(await session.run(ENGINE_MEMORY_QUERY, 'JSONEachRow')).toString().trim()}]`);
  const engine = engineMemoryOf(row);
  return rssParts(processMemory(), engine);
}

/** One line for a log: each part, MiB. */
export function describeParts(p: RssParts): string {
  return `at ${p.rss}: files ${p.files}, V8 heap ${p.v8Heap}, external ${p.nodeExternal}, engine tracked ${p.engineTracked} (caches ${p.engineCaches}, primary keys ${p.enginePrimaryKeys}, work ${p.engineWork}), allocator kept ${p.allocatorKept} (dirty ${p.allocatorDirty}), unaccounted ${p.unaccounted}`;
}
