import { createTestClickHouse } from './clickhouse.ts';
import { startClickHouseHttpStandIn } from './clickhouse-http-standin.ts';
import { safeInject } from './provided.ts';

/** ClickHouse over HTTP for services run as separate processes, as the distributed deployment has it. */
export interface DistributedClickHouse {
  /** A server URL with the database in its path: give it to the services as CLICKHOUSE_URL. */
  url: string;
  /**
   * 'server': the run's ClickHouse server (CLICKHOUSE_URL, or the testcontainer started when Docker
   * answers), a fresh database on it; 'stand-in': the chDB-backed test fixture, where no server runs.
   */
  source: 'server' | 'stand-in';
  /**
   * Stops the stand-in, which releases its chDB directory for a process that opens it directly; the
   * server's database stays until drop(). Idempotent.
   */
  release(): Promise<void>;
  /** Drops the server database / stops the stand-in. */
  drop(): Promise<void>;
}

/**
 * The real ClickHouse server when the run has one, else the HTTP stand-in over chDB in `dataDir`:
 * the same test runs against either, and against a real server wherever a Docker engine exists.
 */
export async function startDistributedClickHouse(dataDir: string): Promise<DistributedClickHouse> {
  const serverUrl = safeInject('clickhouseUrl') || process.env.CLICKHOUSE_URL?.trim();
  if (serverUrl && /^https?:\/\//.test(serverUrl)) {
    // Empty: the topology's own migrator creates the schema, as in a deployment.
    const store = await createTestClickHouse({ migrate: false });
    return { url: store.url, source: 'server', release: async () => {}, drop: () => store.close() };
  }
  const standIn = await startClickHouseHttpStandIn({ dataDir });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= standIn.stop();
    return stopped;
  };
  return { url: standIn.url, source: 'stand-in', release: stop, drop: stop };
}
