import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import type { ClickHouse } from '@dossier/clickhouse';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { type AnalystQueryOutcome, createMonitorMetrics } from '../metrics.ts';
import { CODES, EndpointError, exceptionBody, httpStatusOf } from './clickhouse-errors.ts';
import type { AnalystsConfig } from './config.ts';
import { type AnalystQuery, readQuery } from './request.ts';
import { createQueryRunner } from './run-query.ts';

/** Refused by policy (read-only, credentials, limits) rather than failed. */
const REFUSALS = new Set([164, 194, 516, 229, 396, 159]);

const compress = { gzip: promisify(gzip), deflate: promisify(deflate) };

export interface AnalystsEndpointDeps {
  config: AnalystsConfig;
  /** A client of its own: its session is locked to readonly=1 and must not be shared with writers. */
  clickhouse: ClickHouse;
  logger: Logger;
  registry: Registry;
}

export interface AnalystsEndpoint {
  port: number;
  stop(): Promise<void>;
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv'))
    return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'json' || f === 'jsoncompact' || f === 'jsonstrings' || f === 'jsoncolumns')
    return 'application/json; charset=UTF-8';
  if (f.includes('eachrow')) return 'application/x-ndjson; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authorize(config: AnalystsConfig, q: AnalystQuery): void {
  if (config.ANALYSTS_USER === undefined || config.ANALYSTS_PASSWORD === undefined) return;
  const c = q.credentials;
  if (!c)
    throw new EndpointError(CODES.REQUIRED_PASSWORD, 'default: Authentication failed: password is required');
  if (!sameSecret(c.user, config.ANALYSTS_USER) || !sameSecret(c.password, config.ANALYSTS_PASSWORD)) {
    throw new EndpointError(
      CODES.AUTHENTICATION_FAILED,
      `${c.user.slice(0, 64)}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
  }
}

/**
 * ClickHouse's HTTP interface over the in-process engine, for analysts' tools (curl,
 * @clickhouse/client, clickhouse-connect, DBeaver, Grafana). Read-only by the engine's own rule.
 */
export async function startAnalystsEndpoint(deps: AnalystsEndpointDeps): Promise<AnalystsEndpoint> {
  const { config, logger } = deps;
  const runner = createQueryRunner(deps.clickhouse, {
    maxResultRows: config.ANALYSTS_MAX_RESULT_ROWS,
    maxResultBytes: config.ANALYSTS_MAX_RESULT_BYTES,
    maxExecutionTimeS: config.ANALYSTS_MAX_EXECUTION_TIME_S,
  });
  await runner.init();
  const version = await runner.version();
  const queries = createMonitorMetrics(deps.registry).analystQueries;
  const seconds = new Histogram({
    name: 'monitor_analyst_query_seconds',
    help: 'Time to answer an analyst query',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [deps.registry],
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://analysts');
    const common = { 'X-ClickHouse-Server-Display-Name': 'dossier-pipeline', 'X-ClickHouse-Timezone': 'UTC' };
    const hasQuery = url.searchParams.has('query') || req.method === 'POST';
    if (
      url.pathname === '/ping' ||
      url.pathname === '/replicas_status' ||
      (url.pathname === '/' && !hasQuery)
    ) {
      req.resume();
      res.writeHead(200, { ...common, 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end('Ok.\n');
      return;
    }
    const end = seconds.startTimer();
    let outcome: AnalystQueryOutcome = 'ok';
    let encoding: AnalystQuery['responseEncoding'] = null;
    try {
      if (url.pathname !== '/')
        throw new EndpointError(CODES.BAD_ARGUMENTS, `There is no handler for ${url.pathname.slice(0, 80)}`);
      const q = await readQuery(req, url, config.ANALYSTS_MAX_QUERY_BYTES);
      encoding = q.responseEncoding;
      authorize(config, q);
      const result = await runner.run(q);
      const body = encoding ? await compress[encoding](result.body) : result.body;
      res.writeHead(200, {
        ...common,
        'Content-Type': contentType(result.format),
        'X-ClickHouse-Format': result.format,
        'X-ClickHouse-Query-Id': result.queryId,
        'X-ClickHouse-Summary': JSON.stringify(result.summary),
        ...(encoding ? { 'Content-Encoding': encoding, Vary: 'Accept-Encoding' } : {}),
        'Content-Length': body.length,
      });
      res.end(body);
      logger.debug(
        { queryId: result.queryId, format: result.format, bytes: result.body.length },
        'analyst query answered',
      );
    } catch (err) {
      const { code, text } = exceptionBody(err, version);
      const status = httpStatusOf(code);
      outcome = REFUSALS.has(code) ? 'rejected' : 'error';
      const body = encoding ? await compress[encoding](Buffer.from(text)) : Buffer.from(text);
      res.writeHead(status, {
        ...common,
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(code),
        ...(encoding ? { 'Content-Encoding': encoding } : {}),
        'Content-Length': body.length,
      });
      res.end(body);
      // The query text may hold anything an analyst typed: only the code is logged.
      logger.info({ code, status }, 'analyst query failed');
    } finally {
      queries.inc({ outcome });
      end({ outcome });
    }
  };

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
    { port, host: config.ANALYSTS_HOST, auth: config.ANALYSTS_USER !== undefined },
    'analysts endpoint listening',
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
