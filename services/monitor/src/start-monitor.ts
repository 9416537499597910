import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ClickHouse } from '@dossier/clickhouse';
import type { Health, Logger } from '@dossier/observability';
import { type ConnectionOptions, Queue } from 'bullmq';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { MonitorConfig } from './config.ts';
import { defaultCatalog } from './kpi-catalog.ts';
import { createMonitorMetrics, routeLabel, statusClass } from './metrics.ts';
import type { KpiCatalogView } from './present.ts';
import { readMetric, sumBy } from './registry-readers.ts';
import { withoutFontLinks } from './render-page.ts';
import type { MonitorContext } from './routes/context.ts';
import { registerDashboardRoutes } from './routes/dashboard.route.ts';
import {
  type DeadLetterDeps,
  type DeadLetterRoutes,
  registerDeadLetterRoutes,
} from './routes/dead-letters.route.ts';
import { registerKpiRoutes } from './routes/kpi.route.ts';
import { registerOpsRoutes } from './routes/ops.route.ts';
import { registerPipelineRoutes } from './routes/pipeline.route.ts';
import { createSampleWindow } from './throughput.ts';

const BULL_BOARD_CSP = "style-src 'self' 'unsafe-inline'; font-src 'self' data:";

export interface MonitorDeps {
  config: MonitorConfig;
  logger: Logger;
  /** The process's one registry: in embedded mode it also holds the ingestor's and aggregator's metrics. */
  registry: Registry;
  /** Combined readiness of every service in the process. */
  health: Health;
  clickhouse: ClickHouse;
  /** BullMQ connection (ioredis instance or options) for queue state and Bull Board. */
  redis: ConnectionOptions;
  /** The aggregator's queue names; Bull Board shows exactly these. */
  queueNames: readonly string[];
  /** BullMQ key prefix, when the aggregator uses another than BullMQ's default `bull`. */
  queuePrefix?: string;
  /** KPI names and comparators; defaults to the KPI catalog. */
  catalog?: KpiCatalogView;
  now?: () => Date;
  /**
   * Serve the operator's dead-letter routes (list, and replay with MONITOR_ADMIN_TOKEN); they need Kafka,
   * so a monitor without Kafka access leaves this out and does not have them.
   */
  deadLetters?: DeadLetterDeps;
}

export interface Monitor {
  port: number;
  stop(): Promise<void>;
}

export async function startMonitor(deps: MonitorDeps): Promise<Monitor> {
  const { config, logger, registry } = deps;
  const metrics = createMonitorMetrics(registry);
  const queues = deps.queueNames.map(
    (name) =>
      new Queue(name, { connection: deps.redis, ...(deps.queuePrefix ? { prefix: deps.queuePrefix } : {}) }),
  );
  for (const queue of queues)
    queue.on('error', (err) => logger.warn({ err, queue: queue.name }, 'queue error'));

  const samples = createSampleWindow(config.MONITOR_SAMPLE_WINDOW + 1);
  const sample = async () => {
    const totals = sumBy(await readMetric(registry, 'ingestor_messages_total'), 'outcome');
    samples.push({ at: Date.now(), accepted: totals.accepted ?? 0, rejected: totals.rejected ?? 0 });
  };
  await sample();
  const sampler = setInterval(() => {
    sample().catch((err) => logger.warn({ err }, 'throughput sample failed'));
  }, config.MONITOR_SAMPLE_INTERVAL_MS);
  sampler.unref();

  const ctx: MonitorContext = {
    config,
    logger,
    registry,
    health: deps.health,
    clickhouse: deps.clickhouse,
    queues,
    catalog: deps.catalog ?? defaultCatalog(),
    throughputSamples: samples.samples,
    now: deps.now ?? (() => new Date()),
  };

  const app = Fastify({ logger: false, return503OnClosing: true });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      route: routeLabel(request.routeOptions.url),
      status_class: statusClass(reply.statusCode),
    });
  });
  // The page must work with no network beyond this server: Bull Board's Google Fonts links are removed
  // (system fonts are used) and the CSP keeps any other outside stylesheet from being fetched.
  app.addHook('onSend', async (request, reply, payload) => {
    if (routeLabel(request.routeOptions.url) !== '/queues') return payload;
    reply.header('content-security-policy', BULL_BOARD_CSP);
    return typeof payload === 'string' ? withoutFontLinks(payload) : payload;
  });
  app.setErrorHandler(async (err, request, reply) => {
    // Fastify's own client errors (a malformed or empty JSON body) keep their 4xx status.
    const status = (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return reply.code(status).send({ error: 'bad_request', message: (err as Error).message });
    logger.error({ err, route: routeLabel(request.routeOptions.url) }, 'request failed');
    return reply.code(500).send({ error: 'internal_error' });
  });

  const board = new FastifyAdapter();
  board.setBasePath('/queues');
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'dossier-pipeline' } },
  });
  await app.register(board.registerPlugin(), { prefix: '/queues' });

  registerOpsRoutes(app, ctx);
  registerKpiRoutes(app, ctx);
  registerPipelineRoutes(app, ctx);
  const deadLetterRoutes: DeadLetterRoutes | undefined = deps.deadLetters
    ? registerDeadLetterRoutes(app, ctx, deps.deadLetters)
    : undefined;
  await registerDashboardRoutes(app);

  try {
    await app.listen({ port: config.MONITOR_PORT, host: config.MONITOR_HOST });
  } catch (err) {
    clearInterval(sampler);
    await Promise.allSettled(queues.map((q) => q.close()));
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port, queues: deps.queueNames }, 'monitor listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      // Stop serving first, then release the queue connections the server was reading.
      stopping ??= (async () => {
        clearInterval(sampler);
        await app.close();
        await Promise.all([...queues.map((q) => q.close()), deadLetterRoutes?.close()]);
        logger.info('monitor stopped');
      })();
      return stopping;
    },
  };
}
