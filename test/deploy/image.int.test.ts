// The deployed artifacts, run: the image's bundles built fresh (infra/docker/bundle.ts), laid out as the
// Dockerfile's final stage lays them out, each started as docker-compose.yml's `command` with docker-compose.yml's
// environment (only addresses, ports and per-run names replaced) over real Kafka and Redis and ClickHouse's HTTP
// interface (the server at CLICKHOUSE_URL, else the chDB stand-in fixture). Nothing else runs the bundles: they
// once failed to start for two days while every test of the sources passed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { connectProducer, type SimMessage } from '@dossier/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildInput } from '../../tools/faults/src/input.ts';
import { caughtUp } from '../../tools/faults/src/pipeline.ts';
import { type DistributedClickHouse, startDistributedClickHouse } from '../support/distributed-clickhouse.ts';
import { testKafka } from '../support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { buildImageLayout } from './image.ts';
import { createTopology, type ServiceProcess, type Topology } from './topology.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

const status = (url: string) => fetch(url).then((r) => r.status);

/** Until its /readyz answers 200; fails at once if the process exits first (a bundle that cannot start). */
function ready(p: ServiceProcess): Promise<unknown> {
  const probe = () => status(`http://127.0.0.1:${p.port}/readyz`).then((s) => (s === 200 ? true : undefined));
  const exited = p.exited.then((code) => {
    throw new Error(`${p.name} exited (${code}) before it was ready:\n${p.output().slice(-3000)}`);
  });
  return Promise.race([until(`${p.name} ready`, probe), exited]);
}

/** Messages the ingestor counted, by outcome (its own /metrics); outcomes it never counted left out. */
async function ingestorCounts(p: ServiceProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^ingestor_messages_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)$/gm)) {
    if (Number(m[2]) > 0) counts[m[1] ?? ''] = (counts[m[1] ?? ''] ?? 0) + Number(m[2]);
  }
  return counts;
}

describe("the image's bundles as docker-compose.yml runs them", () => {
  const kafka = testKafka();
  const redisUrl = testRedisUrl();
  const prefix = uniquePrefix('image');
  const topics = {
    events: kafka.uniqueName('image-events'),
    dvcqg: kafka.uniqueName('image-dvcqg'),
    catalog: kafka.uniqueName('image-catalog'),
  };
  const groupId = kafka.uniqueName('image-group');
  // A few dossiers in both dialects with their catalog; no simulator faults: the one bad message is ours.
  const { messages } = buildInput({
    seed: 'image-3',
    dossiers: 6,
    startedAt: Date.now(),
    faults: { duplicate: 0, outOfOrder: 0, malformed: 0 },
  });
  const lastEvent = messages.findLastIndex((m) => m.topic === 'events');
  /** Sent only to the restarted ingestor. */
  const later = messages[lastEvent] as SimMessage;
  const first = messages.filter((_, i) => i !== lastEvent);
  const dossiers = [...new Set(first.filter((m) => m.topic !== 'catalog').map((m) => m.key))].sort();
  const malformed: SimMessage = {
    topic: 'events',
    key: later.key,
    value: later.value.slice(0, 40),
    at: later.at,
  };
  let root: string;
  let store: DistributedClickHouse | undefined;
  let topology: Topology;
  const procs: Record<string, ServiceProcess> = {};

  async function produce(list: SimMessage[]) {
    const producer = await connectProducer(kafka.kafka, topics);
    try {
      await producer.send(list);
    } finally {
      await producer.disconnect();
    }
  }

  async function query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const client = createClient({ url: store!.url });
    try {
      return await (
        await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      ).json<T>();
    } finally {
      await client.close();
    }
  }

  const consumed = () => caughtUp(kafka.kafka, groupId, Object.values(topics)).then((d) => d || undefined);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dossier-image-'));
    const [image] = await Promise.all([
      buildImageLayout(join(root, 'app')),
      (async () => {
        await kafka.createTopics(Object.values(topics));
        await produce([...first, malformed]);
      })(),
      (async () => {
        store = await startDistributedClickHouse(join(root, 'clickhouse'));
      })(),
    ]);
    topology = await createTopology({
      brokers: kafka.brokers,
      redisUrl,
      clickhouseUrl: store!.url,
      image,
      names: {
        TOPIC_EVENTS: topics.events,
        TOPIC_DVCQG: topics.dvcqg,
        TOPIC_CATALOG: topics.catalog,
        TOPIC_INDEX766_EXTERNAL: kafka.uniqueName('image-index766'),
        TOPIC_DEAD_LETTER: kafka.uniqueName('image-dead-letter'),
        KAFKA_GROUP_ID: groupId,
        AGGREGATOR_PREFIX: prefix,
        // One cycle at start and none after it within the test: SIGTERM then finds the aggregator idle.
        AGGREGATOR_INTERVAL_SECONDS: '3600',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await topology?.killAll();
    await store?.drop();
    await deleteKeys(prefix, redisUrl);
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  // A failing test shows every process's output (console output is printed for failing tests only).
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') console.error(topology.logs());
  });

  it('migrates (exit 0), then the ingestor and the monitor start and answer /readyz', async () => {
    await topology.migrate();
    procs.ingestor = await topology.start('ingestor');
    procs.monitor = await topology.start('monitor');
    await Promise.all([ready(procs.ingestor), ready(procs.monitor)]);
  }, 300_000);

  it('stores both dialects and dead-letters the malformed message with its reason', async () => {
    await until('the input consumed', consumed);
    const [events] = await query<{ canonical: string; dvcqg: string }>(
      "SELECT countIf(dialect = 'canonical') AS canonical, countIf(dialect = 'dvcqg') AS dvcqg FROM dossier_events_v1",
    );
    expect(Number(events?.canonical)).toBeGreaterThan(0);
    expect(Number(events?.dvcqg)).toBeGreaterThan(0);
    const stored = await query<{ dossier_code: string }>(
      'SELECT DISTINCT dossier_code FROM dossier_events_v1 ORDER BY dossier_code',
    );
    expect(stored.map((r) => r.dossier_code)).toEqual(dossiers);
    const letters = await query('SELECT source_topic, reason_code, reason_text FROM dead_letters_v2');
    expect(letters).toEqual([
      { source_topic: topics.events, reason_code: 'invalid_json', reason_text: expect.stringMatching(/\w/) },
    ]);
  }, 300_000);

  it('the aggregator starts and completes a KPI cycle over what was ingested', async () => {
    // Started once the input is stored, so its first cycle (at once, then every interval) covers it.
    procs.aggregator = await topology.start('aggregator');
    await ready(procs.aggregator);
    await procs.aggregator.waitForLine((l) => l.msg === 'kpi cycle done');
    const [kpis] = await query<{ n: string }>('SELECT count() AS n FROM kpi_latest');
    expect(Number(kpis?.n)).toBeGreaterThan(0);
  }, 600_000);

  it('the monitor serves /readyz, /metrics and its dashboard', async () => {
    const monitor = `http://127.0.0.1:${procs.monitor!.port}`;
    expect(await status(`${monitor}/readyz`)).toBe(200);
    const metrics = await fetch(`${monitor}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^process_resident_memory_bytes\b/m);
    expect(await status(`${monitor}/`)).toBe(200);
  });

  it('SIGTERM stops each service with exit 0, offsets committed: a restarted ingestor takes only the new', async () => {
    expect(await topology.stopAll()).toEqual({ ingestor: 0, aggregator: 0, monitor: 0 });
    expect(await consumed()).toBe(true);

    const ingestor = await topology.start('ingestor', 'ingestor-restarted');
    await ready(ingestor);
    await produce([later]);
    await until('the new message consumed', consumed);
    // From the committed offsets: nothing of the first run read again, the dead letter not rejected twice.
    expect(await ingestorCounts(ingestor)).toEqual({ accepted: 1 });
    const [stored] = await query<{ n: string }>(
      'SELECT count() AS n FROM dossier_events_v1 WHERE event_id = {id:String}',
      { id: (JSON.parse(later.value) as { id: string }).id },
    );
    expect(Number(stored?.n)).toBe(1);
    expect(await ingestor.stop()).toBe(0);
  }, 300_000);
});
