// The operator-access tests' world: a monitor with an admin, a named operator (alice) and a viewer
// credential, in front of a real BullMQ queue with a real worker and two delayed jobs, a real Kafka topic
// and a real ClickHouse holding one sealed dead letter. Each test file calls useOperatorFixture() once.
import { Writable } from 'node:stream';
import { deadLetterKeys, toDeadLetterRow } from '@dossier/dead-letters';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { type TestKafka, testKafka } from '../../../test/support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import type { OperatorActionRow } from '../src/auth/audit.ts';
import { type Monitor, type MonitorDeps, monitorConfig, startMonitor } from '../src/index.ts';

export const QUEUE = 'kpi-aggregator';
export const ADMIN = 'admin-token-0123456789abcdef0123';
export const ALICE = 'alice-token-0123456789abcdef0123';
export const VIEWER = 'viewer-token-0123456789abcdef012';
export const WRONG = 'wrong-token-0123456789abcdef0123';
export const SECRETS = [ADMIN, ALICE, VIEWER, WRONG];

/** A row of operator_actions_v1 as `SELECT *` returns it. */
export type AuditRow = OperatorActionRow;

export let store: TestClickHouse;
export let kafka: TestKafka;
export let topic: string;
export let prefix: string;
export let queue: Queue;
export let events: QueueEvents;
export let worker: Worker;
export let monitor: Monitor;
export let base: string;
const others: Monitor[] = [];
export const logs: string[] = [];

export function logger() {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return createLogger({ service: 'monitor', level: 'info', destination: sink });
}

export async function startTestMonitor(
  config: Parameters<typeof monitorConfig>[0],
  deps: Partial<MonitorDeps> = {},
) {
  const started = await startMonitor({
    config: monitorConfig({ MONITOR_PORT: 0, MONITOR_HOST: '127.0.0.1', ...config }),
    logger: logger(),
    registry: createMetricsRegistry(),
    health: createHealth(),
    clickhouse: store.clickhouse,
    redis: { url: testRedisUrl(), maxRetriesPerRequest: null },
    queueNames: [QUEUE],
    queuePrefix: prefix,
    deadLetters: { kafka: kafka.kafka, keys: LETTER_KEYS },
    ...deps,
  });
  others.push(started);
  return started;
}

export interface CallOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  forwardedFor?: string;
  body?: unknown;
  url?: string;
}

export function call(method: string, path: string, options: CallOptions = {}) {
  const body = options.body ?? (method === 'GET' || method === 'HEAD' ? undefined : {});
  return fetch(`${options.url ?? base}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function auditRows(): Promise<AuditRow[]> {
  const result = await store.clickhouse.query({
    query: 'SELECT * FROM operator_actions_v1 ORDER BY started_at, action_id',
    format: 'JSONEachRow',
  });
  return result.json<AuditRow>();
}

export async function topicOffset(): Promise<number> {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const marks = await admin.fetchTopicOffsets(topic);
    return marks.reduce((sum, m) => sum + Number(m.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function replayed(): Promise<number> {
  const result = await store.clickhouse.query({
    query: 'SELECT count() AS n FROM dead_letter_replays_v1',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: number | string }>())[0]?.n ?? 0);
}

/** Everything a refused request could have changed. */
export async function pipelineState() {
  const jobs = await queue.getJobs(['delayed', 'waiting', 'failed'], 0, 100);
  return {
    paused: await queue.isPaused(),
    jobs: jobs.map((j) => j.id).sort(),
    offset: await topicOffset(),
    replayed: await replayed(),
    audit: (await auditRows()).length,
  };
}

/** A job added now completes: the queue is running and its worker takes jobs. */
export async function runsAJob(): Promise<void> {
  const job = await queue.add('probe', {});
  await expect(job.waitUntilFinished(events)).resolves.toBe('done');
}

const LETTER_KEYS = deadLetterKeys('ab'.repeat(32));

export let removable: Job;
export let cleanable: Job;

/** Builds the world before the file's tests and takes it down after them. */
export function useOperatorFixture(): void {
  beforeAll(async () => {
    store = await createTestClickHouse();
    kafka = testKafka();
    topic = kafka.uniqueName('access-events');
    await kafka.createTopics([topic], 1);
    await store.clickhouse.insert({
      table: 'dead_letters_v2',
      values: [
        toDeadLetterRow(
          {
            topic,
            partition: 0,
            message: {
              key: null,
              value: Buffer.from('{"fixed":true}'),
              offset: '0',
              timestamp: '1767225600000',
              attributes: 0,
              headers: {},
            },
            rejection: { code: 'schema', reason: 'data.agency_code: required' },
          },
          LETTER_KEYS,
          { record: 'copy', note: '' },
        ),
      ],
      format: 'JSONEachRow',
    });
    prefix = uniquePrefix('access');
    const connection = { url: testRedisUrl(), maxRetriesPerRequest: null };
    queue = new Queue(QUEUE, { connection, prefix });
    events = new QueueEvents(QUEUE, { connection, prefix });
    await events.waitUntilReady();
    worker = new Worker(QUEUE, async () => 'done', { connection, prefix });
    // Created a minute ago: Bull Board's clean keeps jobs younger than its 5 s grace.
    const timestamp = Date.now() - 60_000;
    removable = await queue.add('kpi-cycle', {}, { delay: 3_600_000, timestamp });
    cleanable = await queue.add('kpi-cycle', {}, { delay: 7_200_000, timestamp });
    monitor = await startTestMonitor({
      MONITOR_ADMIN_TOKEN: ADMIN,
      MONITOR_OPERATOR_TOKENS: `alice:${ALICE}`,
      MONITOR_VIEWER_TOKEN: VIEWER,
      MONITOR_TRUST_PROXY: '127.0.0.1',
    });
    base = `http://127.0.0.1:${monitor.port}`;
  });

  afterAll(async () => {
    await Promise.allSettled(others.map((m) => m.stop()));
    await worker?.close();
    await events?.close();
    await queue?.close();
    if (prefix) await deleteKeys(prefix);
    await store?.close();
  });
}

/** A registered path with its parameters filled in with real names from the fixture. */
export function concrete(url: string): string {
  return url
    .replace(':queueName', QUEUE)
    .replace(':jobId', String(removable.id))
    .replace(':queueStatus', 'delayed')
    .replace(':schedulerId', 'no-such-scheduler');
}
