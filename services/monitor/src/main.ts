// Standalone monitor (distributed mode): `tsx services/monitor/src/main.ts`; embedded mode calls startMonitor.
import { createClickHouse, MemoryBudgetConfig, memoryBudgetOf } from '@dossier/clickhouse';
import { ConfigError, loadConfig } from '@dossier/config';
import { deadLetterKeys } from '@dossier/dead-letters';
import {
  createHealth,
  createLogger,
  createMetricsRegistry,
  exitOnUncaughtException,
  kafkaLogCreator,
  onShutdown,
} from '@dossier/observability';
import { Redis } from 'ioredis';
import { Kafka } from 'kafkajs';
import { MonitorMainConfig } from './config.ts';
import { createGroupLagReader } from './group-lag.ts';
import { startMonitor } from './start-monitor.ts';

let config: MonitorMainConfig;
try {
  config = loadConfig(MonitorMainConfig);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const logger = createLogger({ service: 'monitor', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
exitOnUncaughtException(logger);
const registry = createMetricsRegistry({ defaultLabels: { service: 'monitor' } });
const health = createHealth();
const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
const clickhouse = await createClickHouse({
  url: config.CLICKHOUSE_URL,
  application: 'monitor',
  settings: budget.pipelineSettings,
  engineArgs: budget.engineArgs,
  logger,
});
// BullMQ needs maxRetriesPerRequest: null on connections it may block on.
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
redis.on('error', (err) => logger.warn({ err }, 'redis error'));

health.addCheck('clickhouse', async () => ({ ok: (await clickhouse.ping()).success }));
health.addCheck('redis', () => ({ ok: redis.status === 'ready' }));

const kafka =
  config.KAFKA_BROKERS &&
  new Kafka({
    clientId: 'dossier-monitor',
    brokers: config.KAFKA_BROKERS,
    logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
  });
// The ingestors run elsewhere: their lag is read from Kafka (throughput comes from ClickHouse).
const groupLag =
  kafka &&
  createGroupLagReader({
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    topics: [config.TOPIC_EVENTS, config.TOPIC_DVCQG, config.TOPIC_CATALOG, config.TOPIC_INDEX766_EXTERNAL],
  });

const monitor = await startMonitor({
  config,
  logger,
  registry,
  health,
  clickhouse,
  redis,
  queueNames: [config.AGGREGATOR_QUEUE],
  queuePrefix: config.AGGREGATOR_PREFIX,
  ...(groupLag && { groupLag }),
  ...(kafka && {
    deadLetters: {
      kafka,
      keys: deadLetterKeys(config.DEAD_LETTER_KEY ?? '', config.DEAD_LETTER_PREVIOUS_KEYS),
    },
    index766External: { kafka, topic: config.TOPIC_INDEX766_EXTERNAL },
  }),
});

onShutdown(
  [
    { name: 'monitor', run: monitor.stop },
    { name: 'kafka', run: async () => groupLag?.close() },
    { name: 'redis', run: () => redis.quit() },
    { name: 'clickhouse', run: () => clickhouse.close() },
  ],
  { logger, timeoutMs: 25_000 },
);
