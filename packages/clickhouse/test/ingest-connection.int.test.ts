import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { createClickHouse } from '../src/index.ts';

// The all-in-one gives the ingestor a chDB connection of its own (#15): a statement on one connection
// must not hold back an insert on another, as the calls of one connection wait for each other.
let ch: TestClickHouse;
beforeAll(async () => {
  ch = await createTestClickHouse({ embedded: true });
});
afterAll(async () => {
  await ch?.close();
});

/** A statement that runs ~3 s whatever the machine's load (sleepEachRow caps at 3 s a block). */
const LONG = 'SELECT sleepEachRow(0.5) FROM numbers(6) SETTINGS max_block_size = 6';

describe('an insert on its own embedded connection', { timeout: 120_000 }, () => {
  it('is acknowledged while a long statement runs on another connection', async () => {
    const ingest = await createClickHouse({ url: ch.url, application: 'test-ingest' });
    try {
      await ch.clickhouse.command({
        query: 'CREATE TABLE probe (n UInt32) ENGINE = MergeTree ORDER BY n',
      });
      const order: string[] = [];
      const long = ch.clickhouse.query({ query: LONG, format: 'JSONEachRow' }).then(async (r) => {
        await r.json();
        order.push('long statement');
      });
      // Started once the long statement is running on the shared connection.
      await new Promise((r) => setTimeout(r, 300));
      await ingest.insert({
        table: 'probe',
        values: [{ n: 1 }],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'probe-1' },
      });
      order.push('insert');
      await long;
      expect(order).toEqual(['insert', 'long statement']);
      // Had it shared the connection, it would have waited its turn behind the statement.
      const queued: string[] = [];
      const again = ch.clickhouse.query({ query: LONG, format: 'JSONEachRow' }).then(async (r) => {
        await r.json();
        queued.push('long statement');
      });
      await new Promise((r) => setTimeout(r, 300));
      await ch.clickhouse.insert({ table: 'probe', values: [{ n: 2 }], format: 'JSONEachRow' });
      queued.push('insert');
      await again;
      expect(queued).toEqual(['long statement', 'insert']);
    } finally {
      await ingest.close();
    }
  });
});
