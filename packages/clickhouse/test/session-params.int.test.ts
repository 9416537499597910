import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { startHeldUrlServer } from '../../../test/support/held-url-server.ts';
import { type ClickHouse, createClickHouse } from '../src/index.ts';

// chDB runs every statement bound through its own parameter path in one process-wide queue. A client
// that binds with `SET param_` on its session (the monitor's, #15) must answer while a bound statement of
// another client is still running, and must read the same values as the bound path does.
let ch: TestClickHouse;
let own: ClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse({ embedded: true });
  own = await createClickHouse({ url: ch.url, application: 'test-session-params', sessionParams: true });
});
afterAll(async () => {
  await own?.close();
  await ch?.close();
});

async function rows(client: ClickHouse, query: string, query_params: Record<string, unknown>) {
  const result = await client.query({ query, query_params, format: 'JSONEachRow' });
  return result.json();
}

describe('a client binding parameters on its own session', () => {
  it('reads every kind of value as the bound path does', async () => {
    const query = `SELECT {s:String} AS s, {n:UInt64} AS n, {f:Float64} AS f, {d:Date} AS d,
      {t:DateTime64(3, 'UTC')} AS t, {a:Array(String)} AS a, {m:Nullable(String)} AS m, {b:Bool} AS b,
      {i:Array(UInt32)} AS i`;
    const params = {
      s: "it's a \\ back\tslash\nand 'quotes' — tiếng Việt",
      n: 18_446_744_073_709,
      f: 0.25,
      d: '2026-12-06',
      t: '2026-12-06 08:00:00.123',
      a: ["o'ne", 'tw\\o', ''],
      m: null,
      b: true,
      i: [1, 2, 3],
    };
    const expected = await rows(ch.clickhouse, query, params);
    expect(expected).toHaveLength(1);
    expect(await rows(own, query, params)).toEqual(expected);
    // A later statement sets its own values, whatever the session kept.
    expect(await rows(own, 'SELECT {s:String} AS s', { s: 'second' })).toEqual([{ s: 'second' }]);
  });

  it('answers while a bound statement of another client is still running', async () => {
    // The other client's statement reads from this server, which answers only when the test says so.
    const held = await startHeldUrlServer();
    try {
      let longDone = false;
      const long = rows(ch.clickhouse, held.heldStatement, { min: 0 }).then((r) => {
        longDone = true;
        return r;
      });
      await held.reached();
      expect(await rows(own, 'SELECT {v:UInt32} + 1 AS v', { v: 41 })).toEqual([{ v: 42 }]);
      expect(longDone).toBe(false);
      held.release();
      expect(await long).toEqual([{ s: 1 }]);
    } finally {
      held.close();
    }
  });
});
