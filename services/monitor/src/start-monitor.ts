import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BoardOptions } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ClickHouse } from '@dossier/clickhouse';
import type { Health, Logger } from '@dossier/observability';
import { type ConnectionOptions, Queue } from 'bullmq';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import { startAtRiskGauges } from './at-risk-gauges.ts';
import { type AccessControl, installAccessControl, type RouteAccess } from './auth/access.ts';
import { installOperatorAudit } from './auth/audit.ts';
import { createCredentials } from './auth/credentials.ts';
import { createFailureLimiter } from './auth/failure-limiter.ts';
import { createSessionStore } from './auth/sessions.ts';
import type { MonitorConfig } from './config.ts';
import type { GroupLagReader } from './group-lag.ts';
import { defaultCatalog } from './kpi-catalog.ts';
import { createMonitorMetrics, routeLabel, statusClass } from './metrics.ts';
import type { KpiCatalogView } from './present.ts';
import { readMetric, sumBy } from './registry-readers.ts';
import { withoutFontLinks } from './render-page.ts';
import { registerAtRiskRoutes } from './routes/at-risk.route.ts';
import { registerAtRiskOutlookRoute } from './routes/at-risk-outlook.route.ts';
import type { MonitorContext } from './routes/context.ts';
import { registerDashboardRoutes } from './routes/dashboard.route.ts';
import {
  type DeadLetterDeps,
  type DeadLetterRoutes,
  registerDeadLetterRoutes,
} from './routes/dead-letters.route.ts';
import {
  type Index766ExternalDeps,
  type Index766ExternalRoutes,
  registerIndex766ExternalRoutes,
} from './routes/index766-external.route.ts';
import { registerIndex766ScorecardRoutes } from './routes/index766-scorecard.route.ts';
import { registerKpiRoutes } from './routes/kpi.route.ts';
import { registerLoginRoutes } from './routes/login.route.ts';
import { registerOperatorActionRoutes } from './routes/operator-actions.route.ts';
import { registerOpsRoutes } from './routes/ops.route.ts';
import { registerPipelineRoutes } from './routes/pipeline.route.ts';
import { registerWorkingCalendarRoutes } from './routes/working-calendar.route.ts';
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
  /** Serve the operator's loader of Decision 766 external figures; it sends to Kafka, so it needs it too. */
  index766External?: Index766ExternalDeps;
  /** Distributed mode: the ingestors' lag read from Kafka (embedded mode has their gauges in `registry`). */
  groupLag?: GroupLagReader;
}

/** Wrong credentials allowed per client address in one window before it must wait for the window's end. */
export const LOGIN_FAILURE_LIMIT = { maxFailures: 10, windowMs: 15 * 60_000 } as const;

export interface Monitor {
  port: number;
  /** Every registered route with its access level (GET/HEAD read, the rest operate): what the guard enforces. */
  routes: readonly RouteAccess[];
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
  const atRiskGauges = startAtRiskGauges({
    clickhouse: deps.clickhouse,
    registry,
    logger,
    intervalMs: config.MONITOR_AT_RISK_INTERVAL_MS,
    maxUnits: config.MONITOR_AT_RISK_MAX_UNITS,
  });

  const ctx: MonitorContext = {
    config,
    logger,
    registry,
    health: deps.health,
    clickhouse: deps.clickhouse,
    queues,
    catalog: deps.catalog ?? defaultCatalog(),
    throughputSamples: samples.samples,
    ...(deps.groupLag ? { groupLag: deps.groupLag } : {}),
    now: deps.now ?? (() => new Date()),
  };

  const app = Fastify({
    logger: false,
    return503OnClosing: true,
    // Forwarded headers (client address, https) are believed only from the proxies the operator names.
    trustProxy: trustProxy(config.MONITOR_TRUST_PROXY),
  });
  const credentials = createCredentials({
    adminToken: config.MONITOR_ADMIN_TOKEN,
    operatorTokens: config.MONITOR_OPERATOR_TOKENS,
    viewerToken: config.MONITOR_VIEWER_TOKEN,
  });
  const sessionTtlMs = config.MONITOR_SESSION_TTL_MINUTES * 60_000;
  const sessions = createSessionStore({ ttlMs: sessionTtlMs });
  const limiter = createFailureLimiter(LOGIN_FAILURE_LIMIT);
  // First, before any route exists: every route registered after this (Bull Board's too) is guarded.
  const access = installAccessControl(app, {
    credentials,
    sessions,
    limiter,
    logger,
    denials: metrics.authDenials,
  });
  installOperatorAudit(app, {
    clickhouse: deps.clickhouse,
    logger,
    actions: metrics.operatorActions,
    failures: metrics.auditFailures,
  });
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
    options: {
      uiConfig: {
        boardTitle: 'dossier-pipeline',
        miscLinks: [
          { text: 'Dashboard', url: '/' },
          { text: 'Đăng nhập / Sign in', url: '/login?next=/queues' },
        ],
      },
      handlerHooks: bullBoardHooks(access),
    },
  });
  await app.register(board.registerPlugin(), { prefix: '/queues' });

  registerLoginRoutes(app, {
    access,
    credentials,
    sessions,
    limiter,
    sessionTtlMs,
    logger,
    denials: metrics.authDenials,
  });
  registerOpsRoutes(app, ctx);
  registerKpiRoutes(app, ctx);
  registerIndex766ScorecardRoutes(app, ctx);
  registerOperatorActionRoutes(app, ctx);
  registerWorkingCalendarRoutes(app, ctx);
  registerAtRiskRoutes(app, ctx);
  registerAtRiskOutlookRoute(app, ctx);
  registerPipelineRoutes(app, ctx);
  const deadLetterRoutes: DeadLetterRoutes | undefined = deps.deadLetters
    ? registerDeadLetterRoutes(app, ctx, deps.deadLetters)
    : undefined;
  const index766Routes: Index766ExternalRoutes | undefined = deps.index766External
    ? registerIndex766ExternalRoutes(app, ctx, deps.index766External)
    : undefined;
  await registerDashboardRoutes(app);

  try {
    await app.listen({ port: config.MONITOR_PORT, host: config.MONITOR_HOST });
  } catch (err) {
    clearInterval(sampler);
    atRiskGauges.stop();
    await Promise.allSettled(queues.map((q) => q.close()));
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port, queues: deps.queueNames }, 'monitor listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    routes: access.routes,
    stop() {
      // Stop serving first, then release the queue connections the server was reading.
      stopping ??= (async () => {
        clearInterval(sampler);
        atRiskGauges.stop();
        await app.close();
        await Promise.all([
          ...queues.map((q) => q.close()),
          deadLetterRoutes?.close(),
          index766Routes?.close(),
        ]);
        logger.info('monitor stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Bull Board decides per queue whether to show its action buttons (`readOnlyMode`); the same board serves
 * everyone, so the queue list is made read-only for any request without an operator credential. Its
 * actions are refused again here, behind the monitor's own guard, in case a route ever slipped past it.
 */
function bullBoardHooks(access: AccessControl): NonNullable<BoardOptions['handlerHooks']> {
  const isOperator = (headers: Record<string, string | undefined>) =>
    access.principalOf(headers)?.role === 'operator';
  return {
    before({ method, request }) {
      return method === 'get' || isOperator(request.headers) ? undefined : { allow: false, status: 403 };
    },
    after({ method, route, request }, result) {
      if (method !== 'get' || route !== '/api/queues' || isOperator(request.headers)) return result;
      const body = result.body as { queues?: Record<string, unknown>[] };
      if (!Array.isArray(body.queues)) return result;
      const queues = body.queues.map((q) => ({
        ...q,
        readOnlyMode: true,
        allowRetries: false,
        allowCompletedRetries: false,
      }));
      return { ...result, body: { ...body, queues } };
    },
  };
}

/** A hop count becomes Fastify's function form (its typings take addresses or booleans only). */
function trustProxy(setting: MonitorConfig['MONITOR_TRUST_PROXY']) {
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return setting ?? false;
}
