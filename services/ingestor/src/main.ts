// Composition root of the distributed ingestor: config from the environment, clients, ops, shutdown.
import { createClickHouse, MemoryBudgetConfig, memoryBudgetOf } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import {
  createHealth,
  createLogger,
  createMetricsRegistry,
  exitOnUncaughtException,
  kafkaLogCreator,
  onShutdown,
  serveOps,
} from '@dossier/observability';
import { Kafka } from 'kafkajs';
import { IngestorConfig } from './config.ts';
import { sealStoredDeadLetters, startIngestor } from './start-ingestor.ts';

const config = loadConfig(IngestorConfig);
const logger = createLogger({ service: 'ingestor', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
exitOnUncaughtException(logger);

const registry = createMetricsRegistry();
const health = createHealth();
const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
const clickhouse = await createClickHouse({
  url: config.CLICKHOUSE_URL,
  application: 'dossier-ingestor',
  settings: budget.ingestSettings,
  engineArgs: budget.engineArgs,
  logger,
});
const kafka = new Kafka({
  clientId: config.KAFKA_CLIENT_ID,
  brokers: config.KAFKA_BROKERS,
  logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
});
const ops = await serveOps({ port: config.OPS_PORT, registry, health });
await sealStoredDeadLetters(clickhouse, config, logger);
const ingestor = await startIngestor({ config, logger, registry, health, clickhouse, kafka });

onShutdown(
  [
    { name: 'ingestor', run: ingestor.stop },
    { name: 'clickhouse', run: () => clickhouse.close() },
    { name: 'ops', run: ops.close },
  ],
  // Past the ingestor's own batch deadline, with room to leave the group and close clients.
  { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS + 10_000 },
);
logger.info({ opsPort: ops.port }, 'ingestor ready');
