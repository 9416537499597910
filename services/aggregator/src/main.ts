import { createClickHouse, isEmbeddedUrl, MemoryBudgetConfig, memoryBudgetOf } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import {
  createHealth,
  createLogger,
  createMetricsRegistry,
  exitOnUncaughtException,
  onShutdown,
  serveOps,
} from '@dossier/observability';
import { AggregatorConfig } from './config.ts';
import { startAggregator } from './start-aggregator.ts';

const config = loadConfig(AggregatorConfig);
const logger = createLogger({ service: 'aggregator', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
exitOnUncaughtException(logger);
const registry = createMetricsRegistry();
const health = createHealth();
const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
const clickhouse = await createClickHouse({
  url: config.CLICKHOUSE_URL,
  application: 'aggregator',
  requestTimeoutMs: config.AGGREGATOR_STATEMENT_TIMEOUT_SECONDS * 1000,
  settings: budget.pipelineSettings,
  engineArgs: budget.engineArgs,
  logger,
});
const aggregator = await startAggregator({
  config,
  logger,
  registry,
  health,
  clickhouse,
  redis: { url: config.REDIS_URL },
  singleProcess: isEmbeddedUrl(config.CLICKHOUSE_URL),
});
const ops = await serveOps({ port: config.OPS_PORT, registry, health });
logger.info({ port: ops.port }, 'ops server listening');

onShutdown(
  [
    { name: 'aggregator', run: aggregator.stop },
    { name: 'clickhouse', run: () => clickhouse.close() },
    { name: 'ops', run: ops.close },
  ],
  { logger, timeoutMs: 25_000 },
);
