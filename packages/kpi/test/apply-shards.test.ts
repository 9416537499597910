// How many shards a generation's applies are cut into (complete-generation.ts shardsFor) and how a claim
// records it (generation-log.ts applyFormat / applyCutOf): the finishing run must read back the claim's.
import { describe, expect, it } from 'vitest';
import { MAX_APPLY_SHARDS, shardsFor } from '../src/complete-generation.ts';
import { applyCutOf, applyFormat } from '../src/generation-log.ts';

const MIB = 2 ** 20;

describe('shardsFor', () => {
  it('is one shard without a cap, for nothing staged, and below half the cap', () => {
    expect(shardsFor(5_000_000, 0)).toBe(1);
    expect(shardsFor(0, 100 * MIB)).toBe(1);
    // The default budget's pipeline cap (4 GiB × 0.9 × 0.75): a 1M catch-up's few hundred thousand rows.
    expect(shardsFor(1_000_000, 0.675 * 4 * 2 ** 30)).toBe(1);
  });

  it('cuts a 10M catch-up under a 1 GiB budget into a few shards, and never more than the maximum', () => {
    const cap = 0.675 * 2 ** 30;
    expect(shardsFor(1_100_000, cap)).toBe(4);
    expect(shardsFor(2_200_000, cap)).toBe(7);
    expect(shardsFor(1e12, cap)).toBe(MAX_APPLY_SHARDS);
  });
});

describe('the apply format a claim records', () => {
  it('reads back the number of shards it was written with, its cells copied as staged', () => {
    for (const shards of [1, 2, 64]) {
      expect(applyFormat(shards)).toBe(`sharded-v2/${shards}`);
      expect(applyCutOf(applyFormat(shards))).toEqual({ shards, summedCells: false });
    }
  });

  it("finishes 'sharded-v1' and 'one-chunk-v1' with their cells summed per cell, and no other format", () => {
    expect(applyCutOf('sharded-v1/3')).toEqual({ shards: 3, summedCells: true });
    expect(applyCutOf('one-chunk-v1')).toEqual({ shards: 1, summedCells: true });
    for (const format of ['', 'sharded-v1', 'sharded-v2/0', 'sharded-v1/x', 'sharded-v3/4', 'one-chunk-v2'])
      expect(applyCutOf(format)).toBeUndefined();
  });
});
