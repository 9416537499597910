import { describe, expect, it } from 'vitest';
import { engineMemoryOf, parseAllocatorTotals, rssParts } from '../../bench/memory-parts.ts';

const MIB = 2 ** 20;
// The totals line as chDB 3.4 (ClickHouse 26.7, jemalloc 5.3) prints it in system.jemalloc_stats.
const STATS = [
  'Arenas: 4',
  'Page size: 4096',
  'Allocated: 26146528, active: 26853376, metadata: 5325424 (n_thp 0, edata 136064, rtree 4194304), resident: 32669696, mapped: 44396544, retained: 7507968',
  'Count of realloc(non-null-ptr, 0) calls: 0',
  'Merged arenas stats:',
  'assigned threads: 12',
  'decaying:  time       npages       sweeps     madvises       purged',
  '   dirty:   N/A         1126            0            0            0',
  '   muzzy:   N/A            0            0            0            0',
  'arenas[0]:',
  'decaying:  time       npages       sweeps     madvises       purged',
  '   dirty:   N/A           99            0            0            0',
].join('\n');

describe('parseAllocatorTotals', () => {
  it('reads the totals line, metadata breakdown and all', () => {
    expect(parseAllocatorTotals(STATS)).toEqual({
      allocated: 26146528,
      active: 26853376,
      metadata: 5325424,
      resident: 32669696,
      mapped: 44396544,
      retained: 7507968,
      dirty: 1126 * 4096,
    });
  });

  it('reads a line without the metadata breakdown, and nothing from other text', () => {
    expect(
      parseAllocatorTotals('Allocated: 1, active: 2, metadata: 3, resident: 4, mapped: 5, retained: 6')
        ?.resident,
    ).toBe(4);
    expect(parseAllocatorTotals('no statistics')).toBeUndefined();
  });
});

describe('rssParts', () => {
  const proc = {
    rss: 2000 * MIB,
    rssAnon: 1700 * MIB,
    rssFile: 300 * MIB,
    heapTotal: 100 * MIB,
    heapUsed: 60 * MIB,
    external: 20 * MIB,
    arrayBuffers: 5 * MIB,
  };
  const engine = engineMemoryOf({
    metrics: [
      ['MemoryTracking', String(1000 * MIB)],
      ['MergesMutationsMemoryTracking', 50 * MIB],
      ['MarkCacheBytes', 150 * MIB],
      ['PrimaryIndexCacheBytes', 50 * MIB],
    ],
    parts: String(100 * MIB),
    allocator: `Allocated: ${900 * MIB}, active: ${950 * MIB}, metadata: ${10 * MIB} (n_thp 0), resident: ${1300 * MIB}, mapped: ${1400 * MIB}, retained: ${600 * MIB}\nMerged arenas stats:\ndecaying:  time  npages\n   dirty:   N/A   76800`,
  });

  it('splits the resident set into parts that add up to it', () => {
    const parts = rssParts(proc, engine);
    expect(parts).toEqual({
      rss: 2000,
      files: 300,
      v8Heap: 100,
      v8HeapUsed: 60,
      nodeExternal: 20,
      engineTracked: 1000,
      engineCaches: 200,
      enginePrimaryKeys: 100,
      engineWork: 700,
      engineMerges: 50,
      allocatorKept: 400,
      allocatorDirty: 300,
      allocatorRetained: 600,
      unaccounted: 180,
    });
    const { files, v8Heap, nodeExternal, engineTracked, allocatorKept, unaccounted } = parts;
    expect(files + v8Heap + nodeExternal + engineTracked + allocatorKept + unaccounted).toBe(parts.rss);
  });

  it('without the engine, leaves everything but the process parts unaccounted', () => {
    expect(rssParts(proc).unaccounted).toBe(1580);
    expect(engineMemoryOf({ metrics: [], parts: 0, allocator: '' })).toBeUndefined();
  });
});
