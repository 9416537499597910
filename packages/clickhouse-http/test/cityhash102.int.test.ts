import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { checksumBytes } from '../src/cityhash102.ts';

describe('CityHash128 1.0.2 against every block the engine writes', () => {
  let store: TestClickHouse;

  beforeAll(async () => {
    store = await createTestClickHouse({ embedded: true });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('matches the checksum of each compressed block in fresh MergeTree parts of many sizes', async () => {
    const sizes = [0, 1, 3, 9, 20, 40, 100, 300, 3000, 100_000];
    for (const n of sizes) {
      await store.clickhouse.command({
        query: `CREATE TABLE hashed_${n} (a String, b UInt64) ENGINE = MergeTree ORDER BY tuple() SETTINGS min_bytes_for_wide_part = 0`,
      });
      await store.clickhouse.command({
        query: `INSERT INTO hashed_${n} SELECT substring(toString(cityHash64(number)), 1, number % 17), number * 7919 FROM numbers(${n + 1})`,
      });
    }
    const parts = await (
      await store.clickhouse.query({
        query: "SELECT path FROM system.parts WHERE startsWith(table, 'hashed_') AND active",
        format: 'JSONEachRow',
      })
    ).json<{ path: string }>();
    const lengths = new Set<number>();
    let blocks = 0;
    for (const { path } of parts) {
      for (const file of (await readdir(path)).filter((f) => f.endsWith('.bin'))) {
        const data = await readFile(join(path, file));
        for (let at = 0; at < data.length; ) {
          const size = data.readUInt32LE(at + 17);
          const block = data.subarray(at + 16, at + 16 + size);
          expect(checksumBytes(block).toString('hex'), `${file} at ${at}`).toBe(
            data.subarray(at, at + 16).toString('hex'),
          );
          lengths.add(block.length);
          blocks++;
          at += 16 + size;
        }
      }
    }
    expect(blocks).toBeGreaterThan(40);
    // Short blocks, CityMurmur's range and the 128-byte rounds with their tails were all covered.
    expect([...lengths].some((l) => l < 16)).toBe(true);
    expect([...lengths].some((l) => l > 16 && l < 128)).toBe(true);
    expect([...lengths].some((l) => l > 10_000)).toBe(true);
  });
});
