import { createHealth, createMetricsRegistry, type Health } from '@dossier/observability';
import { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { type Monitor, monitorConfig, startMonitor } from '../src/index.ts';
import { kpiFixtures, seedAgencies, seedDeadLetters, seedKpis } from './fixtures.ts';
import { index766Fixtures } from './index766-fixtures.ts';

export const FIXTURE_QUEUE = 'kpi-aggregator';
/** The fixtures' months are 2026-09 and 2026-10; the clock is pinned so the trend window holds them. */
export const FIXTURE_NOW = new Date('2026-11-26T04:00:00Z');

export interface FixtureMonitor {
  monitor: Monitor;
  base: string;
  store: TestClickHouse;
  registry: Registry;
  health: Health;
  /** The fixture's BullMQ queue, to check what an action did. */
  queue: Queue;
  stop(): Promise<void>;
}

/**
 * The monitor over a real (chDB or server) ClickHouse seeded with the fixtures, a real Redis with one
 * BullMQ queue holding jobs, and the ingestor's contract metrics on the shared registry, as in the
 * embedded process.
 */
export async function startFixtureMonitor(
  config: Partial<Parameters<typeof monitorConfig>[0]> = {},
): Promise<FixtureMonitor> {
  const prefix = uniquePrefix('monitor');
  const store = await createTestClickHouse();
  const producer = new Queue(FIXTURE_QUEUE, { connection: { url: testRedisUrl() }, prefix });
  let monitor: Monitor | undefined;
  const stop = async () => {
    await monitor?.stop();
    await producer.close();
    await deleteKeys(prefix);
    await store.close();
  };
  try {
    await seedKpis(store.clickhouse, [...kpiFixtures(), ...index766Fixtures()]);
    await seedAgencies(store.clickhouse);
    await seedDeadLetters(store.clickhouse);
    await producer.add('kpi-cycle', {}, { delay: 60_000 });
    await producer.add('kpi-cycle', {});

    const registry = createMetricsRegistry();
    const messages = new Counter({
      name: 'ingestor_messages_total',
      help: 'contract metric, as the ingestor defines it',
      labelNames: ['topic_kind', 'outcome'],
      registers: [registry],
    });
    messages.inc({ topic_kind: 'events', outcome: 'accepted' }, 120);
    messages.inc({ topic_kind: 'dvcqg', outcome: 'rejected' }, 3);
    const lag = new Gauge({
      name: 'ingestor_consumer_lag_messages',
      help: 'contract metric, as the ingestor defines it',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    });
    lag.set({ topic: 'dossier.events.v1', partition: '1' }, 42);
    lag.set({ topic: 'dossier.events.v1', partition: '0' }, 7);

    const health = createHealth();
    monitor = await startMonitor({
      config: monitorConfig({ MONITOR_PORT: 0, MONITOR_HOST: '127.0.0.1', ...config }),
      logger: testLogger('monitor'),
      registry,
      health,
      clickhouse: store.clickhouse,
      redis: { url: testRedisUrl(), maxRetriesPerRequest: null },
      queueNames: [FIXTURE_QUEUE],
      queuePrefix: prefix,
      now: () => FIXTURE_NOW,
    });
    return {
      monitor,
      base: `http://127.0.0.1:${monitor.port}`,
      store,
      registry,
      health,
      queue: producer,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
