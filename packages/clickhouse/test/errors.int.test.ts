import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { CLICKHOUSE_CODES, clickHouseErrorCode, isMissingTable } from '../src/index.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

describe('the ClickHouse code table', () => {
  it('names every code as the engine does', async () => {
    const result = await ch.clickhouse.query({
      query: 'SELECT arrayMap(c -> errorCodeToName(c), {codes:Array(UInt16)}) AS names',
      query_params: { codes: Object.values(CLICKHOUSE_CODES) },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ names: string[] }>();
    expect(row?.names).toEqual(Object.keys(CLICKHOUSE_CODES));
  });

  it('reads the code of a real engine error, and a missing table as missing', async () => {
    const err = await ch.clickhouse.query({ query: 'SELECT 1 FROM no_such_table_v1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(clickHouseErrorCode(err)).toBe(CLICKHOUSE_CODES.UNKNOWN_TABLE);
    expect(isMissingTable(err)).toBe(true);
  });
});
