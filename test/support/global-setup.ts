import type { TestProject } from 'vitest/node';
import { removeStaleTempDirs } from './stale-dirs.ts';
import { type StartedClickHouse, startClickHouse } from './start-clickhouse.ts';
import { type StartedKafka, type StartedService, startKafka, warmUpKafka } from './start-kafka.ts';
import { type StartedRedis, startRedis } from './start-redis.ts';

/**
 * Vitest globalSetup of the integration project: finds or starts Kafka, Redis and (with Docker)
 * ClickHouse once per run, hands their addresses to the tests, and stops what it started.
 * The `ProvidedContext` keys are declared in ./provided.ts.
 */
export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  removeStaleTempDirs();
  const started: StartedService[] = [];
  // Teardown does not run when the process exits early (Ctrl-C, a crash); stop synchronously then.
  const onExit = () => {
    for (const service of started) service.stopSync?.();
  };
  process.once('exit', onExit);
  const teardown = async () => {
    process.removeListener('exit', onExit);
    const results = await Promise.allSettled(started.splice(0).map((s) => s.stop()));
    for (const r of results)
      if (r.status === 'rejected') console.error('[test] stopping a service failed', r.reason);
  };

  try {
    const [kafka, redis, clickhouse] = await Promise.all([
      timed(started, async () => {
        // Test traffic is too small to miss the C2 compiler; start-up CPU is what counts here.
        const kafka = await startKafka({ fastStart: true });
        started.push(kafka);
        await warmUpKafka(kafka.brokers);
        return kafka;
      }),
      timed(started, startRedis),
      timed(started, startClickHouse),
    ]);
    provideAll(provide, kafka.value, redis.value, clickhouse.value);
    console.log(
      `[test] kafka ${kafka.value.brokers.join(',')} (${kafka.value.source}, ${kafka.ms} ms), ` +
        `redis ${redis.value.url} (${redis.value.source}, ${redis.ms} ms), clickhouse ` +
        (clickhouse.value.url
          ? `${redactUrl(clickhouse.value.url)} (${clickhouse.value.source}, ${clickhouse.ms} ms)`
          : 'chDB per test file'),
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

async function timed<T extends StartedService>(
  started: StartedService[],
  start: () => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const began = Date.now();
  const value = await start();
  if (!started.includes(value)) started.push(value);
  return { value, ms: Date.now() - began };
}

function provideAll(
  provide: TestProject['provide'],
  kafka: StartedKafka,
  redis: StartedRedis,
  clickhouse: StartedClickHouse,
): void {
  provide('kafkaBrokers', kafka.brokers);
  provide('redisUrl', redis.url);
  provide('clickhouseUrl', clickhouse.url);
  // For child processes the tests spawn: services under test read the environment.
  process.env.KAFKA_BROKERS = kafka.brokers.join(',');
  process.env.REDIS_URL = redis.url;
  if (clickhouse.url) process.env.CLICKHOUSE_URL = clickhouse.url;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
