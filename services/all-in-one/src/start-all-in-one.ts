import { startAggregator } from '@dossier/aggregator';
import {
  createClickHouse,
  embeddedStatementsDone,
  isEmbeddedUrl,
  memoryBudgetOf,
  migrate,
  openEmbeddedEngine,
} from '@dossier/clickhouse';
import { deadLetterKeys } from '@dossier/dead-letters';
import { ensureTopics, inputTopics, sealStoredDeadLetters, startIngestor } from '@dossier/ingestor';
import { startMonitor } from '@dossier/monitor';
import {
  createHealth,
  createMetricsRegistry,
  kafkaLogCreator,
  type Logger,
  type ShutdownStep,
} from '@dossier/observability';
import { createSimulator } from '@dossier/simulator';
import { Redis } from 'ioredis';
import { Kafka } from 'kafkajs';
import { startAnalystsEndpoint } from '../../monitor/src/analysts/index.ts';
import { openSideClients, threadpoolShortfall } from './clickhouse-clients.ts';
import type { AllInOneSettings } from './config.ts';
import { ensureKafka, ensureRedis } from './local-stack.ts';

export interface AllInOne {
  urls: {
    dashboard: string;
    bullBoard: string;
    login: string;
    clickhouseHttp: string | null;
    metrics: string;
  };
  /** In order: stop intake first, stores last, the local Kafka/Redis this run started at the very end. */
  shutdownSteps: ShutdownStep[];
}

/** When the simulator is on, one KPI cycle runs this long after the start besides the schedule. */
export const SIMULATOR_FIRST_CYCLE_MS = 15_000;

/**
 * Every service in one process over one ClickHouse engine (the ingestor and the monitor each on a
 * connection of its own), one metrics registry and one health: local Kafka and Redis when none answer,
 * topics, migrations, ingestor, aggregator, monitor, the analysts' endpoint and the simulator.
 */
export async function startAllInOne(settings: AllInOneSettings, logger: Logger): Promise<AllInOne> {
  const { own } = settings;
  const steps: ShutdownStep[] = [];
  const later: ShutdownStep[] = [];
  try {
    if (own.KAFKA_BROKERS === undefined) {
      const kafka = await ensureKafka({ port: own.KAFKA_PORT, dataDir: `${own.DATA_DIR}/kafka`, logger });
      later.unshift({ name: 'local-kafka', run: kafka.stop });
    }
    const localRedis = await ensureRedis({ url: own.REDIS_URL, stateDir: `${own.DATA_DIR}/redis`, logger });
    later.unshift({ name: 'local-redis', run: localRedis.stop });

    const registry = createMetricsRegistry();
    const health = createHealth();
    // One budget for all ClickHouse work of this process: caches and the engine's cap come with its
    // first connection, the pipeline's limits with every statement, the analysts' with every query.
    const budget = memoryBudgetOf(settings.memory);
    logger.info(
      {
        totalBytes: budget.totalBytes,
        cacheBytes: budget.cacheBytes,
        pipelineBytes: budget.pipelineBytes,
        analystQueryBytes: budget.analystQueryBytes,
      },
      'clickhouse memory budget',
    );
    const clickhouse = await createClickHouse({
      url: settings.clickhouseUrl,
      application: 'dossier-all-in-one',
      settings: budget.pipelineSettings,
      engineArgs: budget.engineArgs,
      logger,
    });
    // Once the clients are closed, a statement may still run (an analyst's query whose client left):
    // exiting would wait for it, so the shutdown waits here, where its deadline bounds the wait.
    if (isEmbeddedUrl(settings.clickhouseUrl))
      later.unshift({ name: 'embedded-statements', run: embeddedStatementsDone });
    later.unshift({ name: 'clickhouse', run: () => clickhouse.close() });
    const applied = await migrate(clickhouse, {
      cluster: own.CLICKHOUSE_CLUSTER,
      // Where a start-up stopped inside its migrations; the fault suite kills between two of them.
      onApplied: (migration) => logger.debug({ migration }, 'migration applied'),
    });
    logger.info({ applied }, 'migrations applied');
    health.addCheck('clickhouse', async () => ({ ok: (await clickhouse.ping()).success }));

    const kafka = new Kafka({
      clientId: 'dossier-all-in-one',
      brokers: settings.brokers,
      logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = Object.values(inputTopics(settings.ingestor));
      await ensureTopics(
        admin,
        [...topics, settings.ingestor.TOPIC_DEAD_LETTER],
        settings.ingestor.KAFKA_TOPIC_PARTITIONS,
      );
    } finally {
      await admin.disconnect();
    }

    // BullMQ needs maxRetriesPerRequest: null on connections it may block on.
    const redis = new Redis(localRedis.value, { maxRetriesPerRequest: null });
    redis.on('error', (err) => logger.warn({ err }, 'redis error'));
    later.unshift({ name: 'redis-connection', run: () => redis.quit() });
    health.addCheck('redis', () => ({ ok: redis.status === 'ready' }));

    const base = { logger, registry, health, clickhouse };
    await sealStoredDeadLetters(clickhouse, settings.ingestor, logger);
    const side = await openSideClients(settings.clickhouseUrl, clickhouse, budget, logger);
    const shortfall = isEmbeddedUrl(settings.clickhouseUrl)
      ? threadpoolShortfall(process.env, settings.memory.ANALYSTS_MAX_CONCURRENT_QUERIES)
      : undefined;
    if (shortfall)
      logger.warn(
        shortfall,
        'libuv threadpool smaller than the statements chDB may run at once: set UV_THREADPOOL_SIZE',
      );
    later.unshift(...side.closeSteps);
    const ingestor = await startIngestor({
      ...base,
      clickhouse: side.ingest,
      config: settings.ingestor,
      kafka,
    });
    steps.push({ name: 'ingestor', run: ingestor.stop });
    const aggregator = await startAggregator({
      ...base,
      config: settings.aggregator,
      redis: { url: localRedis.value },
      singleProcess: isEmbeddedUrl(settings.clickhouseUrl),
      // The simulator's first dossiers reach the KPIs and the at-risk list within a minute of the start.
      ...(own.SIMULATOR ? { extraCycleAfterMs: SIMULATOR_FIRST_CYCLE_MS } : {}),
    });
    // Its stop abandons a running cycle at its next statement; one statement can outlast the shutdown's
    // deadline under load, and the deadline then kills the process (the cycle is computed again).
    steps.push({ name: 'aggregator', run: aggregator.stop });
    const monitor = await startMonitor({
      ...base,
      clickhouse: side.monitor,
      config: settings.monitor,
      redis,
      queueNames: [settings.aggregator.AGGREGATOR_QUEUE],
      queuePrefix: settings.aggregator.AGGREGATOR_PREFIX,
      // The replay CLI cannot open chDB while this process holds it, so replay is served here.
      deadLetters: {
        kafka,
        keys: deadLetterKeys(settings.ingestor.DEAD_LETTER_KEY, settings.ingestor.DEAD_LETTER_PREVIOUS_KEYS),
      },
      // So is the loader of Decision 766 external figures (npm run index766:load).
      index766External: { kafka, topic: settings.ingestor.TOPIC_INDEX766_EXTERNAL },
    });
    steps.push({ name: 'monitor', run: monitor.stop });

    let clickhouseHttp: string | null = null;
    if (isEmbeddedUrl(settings.clickhouseUrl)) {
      // Analysts read the same engine through connections of their own, each locked read-only.
      const analysts = await startAnalystsEndpoint({
        config: settings.analysts,
        engine: await openEmbeddedEngine(settings.clickhouseUrl),
        budget: { ...budget, analystsConcurrency: settings.memory.ANALYSTS_MAX_CONCURRENT_QUERIES },
        logger,
        registry,
      });
      steps.push({ name: 'analysts', run: analysts.stop });
      clickhouseHttp = `http://${settings.analysts.ANALYSTS_HOST}:${analysts.port}`;
    }

    if (own.SIMULATOR) {
      const simulator = createSimulator({
        kafka,
        topics: inputTopics(settings.ingestor),
        rate: own.SIMULATOR_RATE,
        seed: own.SIMULATOR_SEED,
        dvcqgShare: own.SIMULATOR_DIALECT_SHARE,
        faults: {
          duplicate: own.SIMULATOR_DUPLICATE_SHARE,
          outOfOrder: own.SIMULATOR_OUT_OF_ORDER_SHARE,
          malformed: own.SIMULATOR_MALFORMED_SHARE,
        },
        backdateDays: own.SIMULATOR_BACKDATE_DAYS,
        logger: logger.child({ component: 'simulator' }),
        registry,
      });
      simulator.run().catch((err: unknown) => logger.error({ err }, 'simulator failed'));
      steps.unshift({ name: 'simulator', run: simulator.stop });
    }

    const host = ['0.0.0.0', '::'].includes(settings.monitor.MONITOR_HOST)
      ? '127.0.0.1'
      : settings.monitor.MONITOR_HOST;
    const dashboard = `http://${host.includes(':') ? `[${host}]` : host}:${monitor.port}/`;
    return {
      urls: {
        dashboard,
        bullBoard: `${dashboard}queues`,
        login: `${dashboard}login`,
        clickhouseHttp,
        metrics: `${dashboard}metrics`,
      },
      shutdownSteps: [...steps, ...later],
    };
  } catch (err) {
    // A failed start still stops what it had started, in the same order as a shutdown.
    for (const step of [...steps, ...later]) {
      await Promise.resolve()
        .then(step.run)
        .catch((stepErr: unknown) =>
          logger.warn({ step: step.name, err: stepErr }, 'cleanup after failed start failed'),
        );
    }
    throw err;
  }
}
