import { memoryBudget } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { startHeldUrlServer } from '../../../test/support/held-url-server.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { openSideClients, type SideClients } from '../src/clickhouse-clients.ts';

// npm start's monitor answered its first /api/at-risk 57 s late, behind the catalog cycle's write on the
// aggregator's connection (#15). The ingestor's and the monitor's clients must not wait for the pipeline's.
let ch: TestClickHouse;
let side: SideClients;
beforeAll(async () => {
  ch = await createTestClickHouse({ embedded: true });
  const budget = memoryBudget({ totalBytes: 2 ** 30, analystsShare: 0.25, analystsConcurrency: 2 });
  side = await openSideClients(ch.url, ch.clickhouse, budget, testLogger('side-clients'));
});
afterAll(async () => {
  for (const step of side?.closeSteps ?? []) await step.run();
  await ch?.close();
});

describe("the all-in-one's ingest and monitor clients", () => {
  it('insert and read while a bound statement of the pipeline is still running', async () => {
    // The pipeline's statement reads from this server, which answers only when the test says so.
    const held = await startHeldUrlServer();
    try {
      await ch.clickhouse.command({ query: 'CREATE TABLE probe (n UInt32) ENGINE = MergeTree ORDER BY n' });
      let pipelineDone = false;
      const pipeline = ch.clickhouse
        .query({
          query: held.heldStatement,
          query_params: { min: 0 },
          format: 'JSONEachRow',
        })
        .then((r) => r.json())
        .then(() => {
          pipelineDone = true;
        });
      await held.reached();
      await side.ingest.insert({ table: 'probe', values: [{ n: 7 }], format: 'JSONEachRow' });
      const read = await side.monitor.query({
        query: 'SELECT count() AS c FROM probe WHERE n = {n:UInt32}',
        query_params: { n: 7 },
        format: 'JSONEachRow',
      });
      expect(await read.json()).toEqual([{ c: 1 }]);
      expect(pipelineDone).toBe(false);
      held.release();
      await pipeline;
    } finally {
      held.close();
    }
  });
});
