// A ClickHouse HTTP stand-in in a process of its own (bench/ingestor-memory.bench.ts), so the ingestor's
// resident memory is its own: prints its URL on the first line of stdout, stops on SIGTERM.
import { startClickHouseHttpStandIn } from '../test/support/clickhouse-http-standin.ts';

const standIn = await startClickHouseHttpStandIn();
console.log(standIn.url);
process.once('SIGTERM', () => {
  standIn.stop().finally(() => process.exit(0));
});
