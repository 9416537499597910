import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { COMPONENTS } from '../src/index766/components.ts';
import { componentHundredthsSql, toFixedHundredthsSql } from '../src/index766/score.sql.ts';
import { componentHundredths, toFixedHundredths } from '../src/index766/score.ts';

let store: TestClickHouse;

beforeAll(async () => {
  store = await createTestClickHouse();
});

afterAll(async () => {
  await store?.close();
});

/** Evaluates one SQL expression over `pairs` (columns n, d) and returns its values in order. */
async function evaluate(expression: string, pairs: readonly [number, number][]): Promise<(number | null)[]> {
  const result = await store.clickhouse.query({
    query: `SELECT i, toNullable(toInt64(${expression})) AS v
      FROM (SELECT arrayJoin(arrayEnumerate({n:Array(UInt64)})) AS i, {n:Array(UInt64)}[i] AS n, {d:Array(UInt64)}[i] AS d)
      ORDER BY i`,
    query_params: { n: pairs.map((p) => p[0]), d: pairs.map((p) => p[1]) },
    format: 'JSONEachRow',
  });
  return (await result.json<{ v: number | string | null }>()).map((row) =>
    row.v === null ? null : Number(row.v),
  );
}

/** Counts as they occur: small and large, ratios on and around every tie a percentage can have. */
const pairs = fc.oneof(
  fc.tuple(fc.nat(50), fc.integer({ min: 0, max: 50 })),
  fc.tuple(fc.nat(2_000_000), fc.integer({ min: 0, max: 2_000_000 })),
  fc.integer({ min: 1, max: 20_000 }).map((d) => [Math.floor(d / 8) * 1, d] as [number, number]),
  fc.integer({ min: 1, max: 4_000 }).chain((d) => fc.tuple(fc.integer({ min: 0, max: d }), fc.constant(d))),
);

describe('the SQL scoring gives what the TypeScript reference gives', () => {
  it('toFixed(2) on doubles, including values just below and above ties', async () => {
    const values = [
      0, 0.005, 0.015, 0.125, 1.005, 2.675, 3.945, 4.665, 8.345, 18.125, 65.745, 99.995, 1e-9, 123456.785,
    ];
    const more = fc.sample(fc.double({ min: 0, max: 1000, noNaN: true }), 300);
    const all = [...values, ...more];
    const result = await store.clickhouse.query({
      query: `SELECT i, ${toFixedHundredthsSql('x')} AS v
        FROM (SELECT arrayJoin(arrayEnumerate({x:Array(Float64)})) AS i, {x:Array(Float64)}[i] AS x) ORDER BY i`,
      query_params: { x: all },
      format: 'JSONEachRow',
    });
    const sql = (await result.json<{ v: number | string }>()).map((r) => Number(r.v));
    expect(sql).toEqual(all.map(toFixedHundredths));
  });

  it.each(COMPONENTS.map((c) => [c.id, c] as const))('%s', async (_id, component) => {
    const sample = [
      [0, 0],
      [0, 1],
      [1, 1],
      [29, 32],
      [263, 400],
      [552, 710],
      [1, 3],
      [2, 3],
      [4, 5],
      [9, 10],
      [1, 2],
      [7, 8],
      [17, 20],
      [5_000_000, 5_000_001],
      ...fc.sample(pairs, 400),
    ].map(([n, d]) => [Math.min(n ?? 0, d ?? 0), d ?? 0] as [number, number]);
    const sql = await evaluate(componentHundredthsSql(component, 'n', 'd'), sample);
    expect(sql).toEqual(
      sample.map(([n, d]) => componentHundredths(component, { numerator: n, denominator: d })),
    );
  });
});
