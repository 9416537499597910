import { type ClickHouse, createClickHouse, isEmbeddedUrl, type MemoryBudget } from '@dossier/clickhouse';
import type { Logger, ShutdownStep } from '@dossier/observability';

export interface SideClients {
  /** The ingestor's inserts. */
  ingest: ClickHouse;
  /** The monitor's reads and its few writes (audit trail, replays). */
  monitor: ClickHouse;
  /** Closes the clients opened here (none over HTTP), to run before the pipeline's client closes. */
  closeSteps: ShutdownStep[];
}

/**
 * In embedded mode chDB runs one statement at a time per connection, and every statement bound through
 * its parameter path in one queue for the whole process. Sharing the aggregator's connection, an insert
 * waited behind every KPI statement (#15) and the monitor's first `/api/at-risk` waited 57 s behind the
 * catalog cycle's write. So each gets a connection of its own: the ingestor's inserts take no parameters,
 * and the monitor binds its values on its own session. Over HTTP the server runs calls side by side.
 */
export async function openSideClients(
  url: string,
  pipeline: ClickHouse,
  budget: MemoryBudget,
  logger: Logger,
): Promise<SideClients> {
  if (!isEmbeddedUrl(url)) return { ingest: pipeline, monitor: pipeline, closeSteps: [] };
  const open = (application: string, settings: Record<string, number>, sessionParams: boolean) =>
    createClickHouse({ url, application, settings, sessionParams, logger });
  const ingest = await open('dossier-ingestor', budget.ingestSettings, false);
  const monitor = await open('dossier-monitor', budget.pipelineSettings, true).catch(async (err: unknown) => {
    await ingest.close();
    throw err;
  });
  return {
    ingest,
    monitor,
    closeSteps: [
      { name: 'clickhouse-monitor', run: () => monitor.close() },
      { name: 'clickhouse-ingest', run: () => ingest.close() },
    ],
  };
}

/** libuv's default: node reads UV_THREADPOOL_SIZE once, before the pool's first use, so only at start. */
const DEFAULT_THREADPOOL = 4;
/** Besides chDB's statements, the pool's own users (file system, DNS lookups) keep this many threads. */
const THREADPOOL_SPARE = 4;

/**
 * chDB runs each statement on a thread of libuv's pool (two 1 s statements on two connections took
 * 2.04 s with a pool of 1). The all-in-one runs at once the aggregator's, the ingestor's and the monitor's
 * statements and up to `analystsConcurrency` analysts' queries: with fewer threads, an insert of fresh
 * events waits for a thread (#15). Returns the pool size wanted when `env` gives fewer, else undefined.
 */
export function threadpoolShortfall(
  env: Record<string, string | undefined>,
  analystsConcurrency: number,
): { size: number; wanted: number } | undefined {
  const size = Number(env.UV_THREADPOOL_SIZE) || DEFAULT_THREADPOOL;
  const wanted = 3 + analystsConcurrency + THREADPOOL_SPARE;
  return size < wanted ? { size, wanted } : undefined;
}
