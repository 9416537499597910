import type { TestProject } from 'vitest/node';
import { type StartedClickHouse, startClickHouse } from './start-clickhouse.ts';
import { type StartedKafka, type StartedService, startKafka, warmUpKafka } from './start-kafka.ts';
import { type StartedRedis, startRedis } from './start-redis.ts';

/**
 * Vitest globalSetup of the integration project: finds or starts Kafka, Redis and (with Docker)
 * ClickHouse once per run, hands their addresses to the tests, and stops what it started.
 */
export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const began = Date.now();
  const results = await Promise.allSettled([startKafka(), startRedis(), startClickHouse()]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = once(() => stopServices(started));
  // Teardown does not run when the process is killed or exits early; stop synchronously then.
  const onExit = () => {
    for (const service of started) service.stopSync?.();
  };
  process.once('exit', onExit);

  const failure = results.find((r) => r.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason;
  }
  const [kafka, redis, clickhouse] = started as [StartedKafka, StartedRedis, StartedClickHouse];
  try {
    await warmUpKafka(kafka.brokers);
  } catch (err) {
    await stopAll();
    throw err;
  }

  provide('kafkaBrokers', kafka.brokers);
  provide('redisUrl', redis.url);
  provide('clickhouseUrl', clickhouse.url);
  // For child processes the tests spawn (services under test read the environment).
  process.env.KAFKA_BROKERS = kafka.brokers.join(',');
  process.env.REDIS_URL = redis.url;
  if (clickhouse.url) process.env.CLICKHOUSE_URL = clickhouse.url;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  console.log(
    `[test] kafka ${kafka.brokers.join(',')} (${kafka.source}), redis ${redis.url} (${redis.source}), ` +
      `clickhouse ${clickhouse.url ? `${redactUrl(clickhouse.url)} (${clickhouse.source})` : 'chDB per test file'}` +
      ` — ready in ${Date.now() - began} ms`,
  );

  return async () => {
    process.removeListener('exit', onExit);
    await stopAll();
  };
}

async function stopServices(services: StartedService[]): Promise<void> {
  const results = await Promise.allSettled(services.map((s) => s.stop()));
  for (const r of results)
    if (r.status === 'rejected') console.error('[test] stopping a service failed', r.reason);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => {
    promise ??= fn();
    return promise;
  };
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
