import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EmbeddedEngine,
  type MemoryBudget,
  MemoryBudgetConfig,
  memoryBudgetOf,
} from '@dossier/clickhouse';
import { CODES, createClickHouseHttpHandler, EndpointError, type HttpQuery } from '@dossier/clickhouse-http';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { type AnalystQueryOutcome, createMonitorMetrics } from '../metrics.ts';
import type { AnalystsConfig } from './config.ts';
import { createReadOnlyBackend } from './read-only-backend.ts';

/** Refused by policy (read-only, credentials, limits) rather than failed. */
const REFUSALS = new Set([164, 194, 516, 229, 396, 159, 241, 202, 373]);

export interface AnalystsEndpointDeps {
  config: AnalystsConfig;
  /** The embedded engine the analysts read; each query gets a connection of its own. */
  engine: EmbeddedEngine;
  logger: Logger;
  registry: Registry;
  /** The deployment's memory budget (its analysts' part is used); the default budget when absent. */
  budget?: Pick<MemoryBudget, 'analystSettings'> & { analystsConcurrency: number };
}

export interface AnalystsEndpoint {
  port: number;
  stop(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authenticator(config: AnalystsConfig) {
  return (q: HttpQuery): void => {
    if (config.ANALYSTS_USER === undefined || config.ANALYSTS_PASSWORD === undefined) return;
    const c = q.credentials;
    if (!c)
      throw new EndpointError(
        CODES.REQUIRED_PASSWORD,
        'default: Authentication failed: password is required',
      );
    if (!sameSecret(c.user, config.ANALYSTS_USER) || !sameSecret(c.password, config.ANALYSTS_PASSWORD)) {
      throw new EndpointError(
        CODES.AUTHENTICATION_FAILED,
        `${c.user.slice(0, 64)}: Authentication failed: password is incorrect, or there is no user with such name`,
      );
    }
  };
}

/**
 * ClickHouse's HTTP interface over the in-process engine, for analysts' tools (curl,
 * @clickhouse/client, the JDBC driver behind DBeaver and DataGrip, clickhouse-connect, Grafana).
 * Read-only by the engine's own rule, with the escapes it leaves open refused in front of it.
 */
export async function startAnalystsEndpoint(deps: AnalystsEndpointDeps): Promise<AnalystsEndpoint> {
  const { config, logger } = deps;
  const defaults = MemoryBudgetConfig.parse({});
  const budget = deps.budget ?? {
    ...memoryBudgetOf(defaults),
    analystsConcurrency: defaults.ANALYSTS_MAX_CONCURRENT_QUERIES,
  };
  const readOnly = createReadOnlyBackend(deps.engine, {
    maxResultRows: config.ANALYSTS_MAX_RESULT_ROWS,
    maxResultBytes: config.ANALYSTS_MAX_RESULT_BYTES,
    maxExecutionTimeS: config.ANALYSTS_MAX_EXECUTION_TIME_S,
    maxThreads: config.ANALYSTS_MAX_THREADS,
    budgetSettings: budget.analystSettings,
    concurrency: budget.analystsConcurrency,
    queueTimeoutMs: config.ANALYSTS_QUEUE_TIMEOUT_MS,
  });
  const version = await readOnly.version();
  const queries = createMonitorMetrics(deps.registry).analystQueries;
  const seconds = new Histogram({
    name: 'monitor_analyst_query_seconds',
    help: 'Time to answer an analyst query',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [deps.registry],
  });
  const handle = createClickHouseHttpHandler({
    backend: readOnly.backend,
    authenticate: authenticator(config),
    version,
    displayName: 'dossier-pipeline',
    timezone: 'UTC',
    maxQueryBytes: config.ANALYSTS_MAX_QUERY_BYTES,
    onFinished: (code, elapsed) => {
      const outcome: AnalystQueryOutcome = code === null ? 'ok' : REFUSALS.has(code) ? 'rejected' : 'error';
      queries.inc({ outcome });
      seconds.observe({ outcome }, elapsed);
      // The query text may hold anything an analyst typed: only the code is logged.
      if (code !== null) logger.info({ code }, 'analyst query failed');
    },
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'analysts endpoint crashed on a request');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.ANALYSTS_PORT, config.ANALYSTS_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      port,
      host: config.ANALYSTS_HOST,
      auth: config.ANALYSTS_USER !== undefined,
      queryMemoryBytes: budget.analystSettings.max_memory_usage,
      concurrency: budget.analystsConcurrency,
    },
    'analysts endpoint listening',
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          readOnly.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
