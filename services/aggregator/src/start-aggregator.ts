import type { ClickHouse } from '@dossier/clickhouse';
import { type KpiLeases, singleProcessLeases } from '@dossier/kpi';
import type { Health, Logger } from '@dossier/observability';
import { type ConnectionOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { AggregatorSettings } from './config.ts';
import { JOBS } from './jobs/index.ts';
import { createAggregatorMetrics, QUEUE_STATES } from './metrics.ts';
import { redisLeases } from './redis-leases.ts';
import { leaseMs, startWorker } from './run-jobs.ts';
import { enqueueCycleSoon, syncSchedulers } from './schedulers.ts';
import { createWatermarks, isFresh } from './watermarks.ts';

export interface AggregatorDeps {
  config: AggregatorSettings;
  logger: Logger;
  registry: Registry;
  health: Health;
  clickhouse: ClickHouse;
  /** BullMQ connection, e.g. `{ url: 'redis://127.0.0.1:6379' }`. */
  redis: ConnectionOptions;
  now?: () => number;
  /**
   * This process is the only one using its ClickHouse (embedded chDB: one process per data directory),
   * so a KPI claim it does not hold is dead at once. Otherwise claims are judged by their leases.
   */
  singleProcess?: boolean;
  /** Run the scheduled cycle once more this long after the start (the all-in-one with its simulator). */
  extraCycleAfterMs?: number;
}

export interface Aggregator {
  /**
   * Stops taking jobs and abandons the running one at its next statement (a cycle saves nothing until it
   * completes, so the next one redoes the work), then closes the queue. The ClickHouse client is the caller's.
   */
  stop(): Promise<void>;
}

/** Syncs the job schedulers, starts the worker and registers metrics and the readiness check. */
export async function startAggregator(deps: AggregatorDeps): Promise<Aggregator> {
  const now = deps.now ?? Date.now;
  const startedMs = now();
  const logger = deps.logger.child({ component: 'aggregator' });
  const watermarks = createWatermarks(deps.clickhouse);
  // Without a schedule (interval 0) this instance only works enqueued jobs: freshness is not its promise.
  if (deps.config.AGGREGATOR_INTERVAL_SECONDS > 0) {
    const maxAgeMs =
      deps.config.AGGREGATOR_INTERVAL_SECONDS * 1000 * deps.config.AGGREGATOR_STALE_AFTER_INTERVALS;
    deps.health.addCheck('aggregator', async () =>
      isFresh(await watermarks.refresh(), maxAgeMs, startedMs, now()),
    );
  }

  const queue = new Queue(deps.config.AGGREGATOR_QUEUE, {
    connection: deps.redis,
    prefix: deps.config.AGGREGATOR_PREFIX,
  });
  queue.on('error', (err) => logger.error({ err }, 'queue error'));
  const metrics = createAggregatorMetrics(deps.registry, watermarks, now, () =>
    queue.getJobCounts(...QUEUE_STATES),
  );
  try {
    // KPI jobs build on each other's generation: one at a time across every instance. (A second one
    // would find the generation claimed and skip; this keeps it from being started at all.)
    await queue.setGlobalConcurrency(1);
    await syncSchedulers(queue, JOBS, deps.config, logger);
    if (deps.extraCycleAfterMs !== undefined) await enqueueCycleSoon(queue, JOBS, deps.extraCycleAfterMs);
  } catch (err) {
    await queue.close();
    throw err;
  }
  let leaseRedis: Redis | undefined;
  let leases: KpiLeases;
  if (deps.singleProcess) {
    leases = singleProcessLeases();
  } else {
    leaseRedis = redisClient(deps.redis);
    leaseRedis.on('error', (err) => logger.warn({ err }, 'lease redis error'));
    leases = redisLeases(leaseRedis, {
      prefix: `${deps.config.AGGREGATOR_PREFIX}:${deps.config.AGGREGATOR_QUEUE}`,
      ttlMs: leaseMs(deps.config.AGGREGATOR_INTERVAL_SECONDS),
    });
  }
  const worker = startWorker({
    jobs: JOBS,
    settings: deps.config,
    clickhouse: deps.clickhouse,
    logger,
    metrics,
    connection: deps.redis,
    leases,
    onSuccess: async () => {
      await watermarks.refresh();
    },
  });
  logger.info({ queue: deps.config.AGGREGATOR_QUEUE, jobs: JOBS.map((j) => j.name) }, 'aggregator started');
  return {
    async stop() {
      worker.cancelAllJobs();
      await worker.close();
      await queue.close();
      await leaseRedis?.quit().catch(() => leaseRedis?.disconnect());
      logger.info({}, 'aggregator stopped');
    },
  };
}

/** A client of its own on BullMQ's connection settings (an instance given is duplicated). */
function redisClient(connection: ConnectionOptions): Redis {
  if (connection instanceof Redis) return connection.duplicate();
  const { url, ...options } = connection as { url?: string } & Record<string, unknown>;
  return url ? new Redis(url, options) : new Redis(options);
}
