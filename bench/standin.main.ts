// A ClickHouse HTTP stand-in in a process of its own (bench/ingestor-memory.bench.ts), so the ingestor's
// resident memory is its own: prints its URL on the first line of stdout, stops on SIGTERM. It listens
// on STANDIN_PORT when set (machines where each user has a port range), else on a free port.
import { startClickHouseHttpStandIn } from '../test/support/clickhouse-http-standin.ts';

const port = process.env.STANDIN_PORT ? Number(process.env.STANDIN_PORT) : undefined;
const standIn = await startClickHouseHttpStandIn({ port });
console.log(standIn.url);
process.once('SIGTERM', () => {
  standIn.stop().finally(() => process.exit(0));
});
