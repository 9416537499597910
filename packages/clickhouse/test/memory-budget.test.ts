import { describe, expect, it } from 'vitest';
import {
  MemoryBudgetConfig,
  MIN_MEMORY_BUDGET,
  MIN_PIPELINE_STATEMENT_BYTES,
  memoryBudget,
  SMALL_CAP_BLOCK_ROWS,
  UNSQUASHED_BELOW_BYTES,
} from '../src/memory-budget.ts';

const GiB = 1024 ** 3;

describe('one memory budget split between caches, the pipeline and analysts', () => {
  const budget = memoryBudget({ totalBytes: 4 * GiB, analystsShare: 0.25, analystsConcurrency: 2 });

  it('never hands out more than the total', () => {
    expect(budget.cacheBytes + budget.pipelineBytes + budget.analystsBytes).toBeLessThanOrEqual(4 * GiB);
    expect(budget.analystQueryBytes * 2).toBeLessThanOrEqual(budget.analystsBytes);
    const caches = budget.engineArgs
      .filter((a) => /cache_size/.test(a))
      .reduce((sum, a) => sum + Number(a.split('=')[1]), 0);
    expect(caches).toBeLessThanOrEqual(budget.cacheBytes);
    expect(budget.engineArgs).toContain(`--max_server_memory_usage=${4 * GiB}`);
  });

  it("bounds the allocator's spare pages, which the engine's tracker does not count, by a share of it", () => {
    // Purged by the engine once they pass 5% of max_server_memory_usage (ClickHouse's default 20%).
    expect(budget.engineArgs).toContain('--memory_worker_purge_dirty_pages_threshold_ratio=0.05');
  });

  it('gives every statement its cap and spills aggregations and sorts at half of it', () => {
    expect(budget.pipelineSettings.max_memory_usage).toBe(budget.pipelineBytes);
    expect(budget.pipelineSettings.max_bytes_before_external_group_by).toBe(
      Math.floor(budget.pipelineBytes / 2),
    );
    expect(budget.analystSettings).toEqual({
      max_memory_usage: budget.analystQueryBytes,
      max_bytes_before_external_group_by: Math.floor(budget.analystQueryBytes / 2),
      max_bytes_before_external_sort: Math.floor(budget.analystQueryBytes / 2),
      priority: 10,
    });
    // Fresh events' inserts first, then the pipeline's statements, the analysts' queries last.
    expect(budget.ingestSettings).toEqual({ ...budget.pipelineSettings, priority: 1 });
    expect(budget.pipelineSettings.priority).toBe(2);
    // 4 GiB: about 0.4 GiB of caches, 2.7 GiB for the pipeline, 0.45 GiB per analyst query.
    expect(budget.pipelineBytes / GiB).toBeCloseTo(2.7, 1);
    expect(budget.analystQueryBytes / GiB).toBeCloseTo(0.45, 2);
  });
});

describe('blocks under a small cap', () => {
  it("has the pipeline's statements yield small blocks below UNSQUASHED_BELOW_BYTES, and leaves the default alone", () => {
    // Writing a part of a wide table takes memory per column with its block's rows (memory-budget.ts).
    const small = memoryBudget({
      totalBytes: MIN_MEMORY_BUDGET,
      analystsShare: 0.25,
      analystsConcurrency: 2,
    });
    expect(small.pipelineBytes).toBeLessThan(UNSQUASHED_BELOW_BYTES);
    expect(small.pipelineSettings).toMatchObject({
      max_block_size: SMALL_CAP_BLOCK_ROWS,
      min_insert_block_size_rows: 0,
      min_insert_block_size_bytes: 0,
    });
    expect(small.ingestSettings).not.toHaveProperty('max_block_size');
    const large = memoryBudget({ totalBytes: 4 * GiB, analystsShare: 0.25, analystsConcurrency: 2 });
    expect(large.pipelineSettings).not.toHaveProperty('max_block_size');
  });
});

describe('the budget configuration', () => {
  it('reads sizes with units and refuses nonsense, listing every problem', () => {
    expect(MemoryBudgetConfig.parse({}).CLICKHOUSE_MEMORY_BUDGET).toBe(4 * GiB);
    expect(MemoryBudgetConfig.parse({ CLICKHOUSE_MEMORY_BUDGET: '1536MiB' }).CLICKHOUSE_MEMORY_BUDGET).toBe(
      1536 * 1024 ** 2,
    );
    expect(MemoryBudgetConfig.parse({ CLICKHOUSE_MEMORY_BUDGET: '6G' }).CLICKHOUSE_MEMORY_BUDGET).toBe(6e9);
    const bad = MemoryBudgetConfig.safeParse({
      CLICKHOUSE_MEMORY_BUDGET: 'lots',
      ANALYSTS_MEMORY_SHARE: '1',
      ANALYSTS_MAX_CONCURRENT_QUERIES: '0',
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'ANALYSTS_MAX_CONCURRENT_QUERIES',
      'ANALYSTS_MEMORY_SHARE',
      'CLICKHOUSE_MEMORY_BUDGET',
    ]);
  });
});

describe('the smallest budget', () => {
  const problems = (env: Record<string, string>) => {
    const parsed = MemoryBudgetConfig.safeParse(env);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts MIN_MEMORY_BUDGET with the default analysts share, and refuses less, saying what to set', () => {
    expect(problems({ CLICKHOUSE_MEMORY_BUDGET: String(MIN_MEMORY_BUDGET) })).toEqual([]);
    const [problem, ...more] = problems({ CLICKHOUSE_MEMORY_BUDGET: String(MIN_MEMORY_BUDGET - 2 ** 20) });
    expect(more).toEqual([]);
    expect(problem).toMatch(/^CLICKHOUSE_MEMORY_BUDGET: .*below the minimum/);
    expect(problem).toContain(`set at least ${MIN_MEMORY_BUDGET / 2 ** 20}MiB`);
  });

  it("counts the analysts' share: a larger one needs a larger budget", () => {
    const [problem] = problems({
      CLICKHOUSE_MEMORY_BUDGET: String(MIN_MEMORY_BUDGET),
      ANALYSTS_MEMORY_SHARE: '0.5',
    });
    expect(problem).toMatch(/ANALYSTS_MEMORY_SHARE=0\.5/);
    // The pipeline's cap is what must reach the minimum: (1 − 0.1) × (1 − 0.5) of the budget.
    const needed = Math.ceil(MIN_PIPELINE_STATEMENT_BYTES / (0.9 * 0.5) / 2 ** 20);
    expect(problem).toContain(`set at least ${needed}MiB`);
    expect(problems({ CLICKHOUSE_MEMORY_BUDGET: `${needed}MiB`, ANALYSTS_MEMORY_SHARE: '0.5' })).toEqual([]);
  });

  it('lists the minimum beside every other problem', () => {
    const listed = problems({ CLICKHOUSE_MEMORY_BUDGET: '64MiB', ANALYSTS_MAX_CONCURRENT_QUERIES: '0' });
    expect(listed.map((p) => p.split(':')[0]).sort()).toEqual([
      'ANALYSTS_MAX_CONCURRENT_QUERIES',
      'CLICKHOUSE_MEMORY_BUDGET',
    ]);
  });
});
