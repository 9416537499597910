// The distributed deployment, run: migrator, two ingestors in one consumer group, two aggregators and a
// monitor as separate processes with docker-compose.yml's environment, over native Kafka and Redis and
// ClickHouse's HTTP interface with writes (the server at CLICKHOUSE_URL when there is one, else the
// chDB-backed stand-in fixture). An embedded all-in-one consumes the same topics as the reference.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { SimMessage } from '@dossier/simulator';
import { connectProducer } from '@dossier/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../../services/monitor/test/browser.ts';
import { buildInput } from '../../tools/faults/src/input.ts';
import { compareJudged, type Judged, judge } from '../../tools/faults/src/judge-run.ts';
import {
  type AllInOne,
  caughtUp,
  type LogLine,
  type NodeProcess,
  startAllInOne,
  startNodeProcess,
} from '../../tools/faults/src/pipeline.ts';
import { type DistributedClickHouse, startDistributedClickHouse } from '../support/distributed-clickhouse.ts';
import { freePorts } from '../support/free-port.ts';
import { testKafka } from '../support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { COMPOSE_SECRETS } from './compose-file.ts';
import { createTopology, type ServiceProcess, type Topology } from './topology.ts';

const SEED = 'topology-1';
const DOSSIERS = 240;
/** Short enough that cycles are frequent in a test, long enough that a cycle over HTTP fits in one. */
const INTERVAL_S = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

interface PipelinePanels {
  throughput: {
    source: string;
    totals: { accepted: number; rejected: number };
    current: { accepted: number };
  };
  lag: {
    source: string | null;
    partitions: { topic: string; partition: number; lag: number }[];
    group?: { members: number; state: string };
  };
  aggregation: { ageSeconds: number | null; lastComputedAt: string | null };
  queues: { name: string; schedulers: number }[];
}

const utcMs = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);
const totalLag = (p: PipelinePanels) => p.lag.partitions.reduce((sum, x) => sum + x.lag, 0);

const ready = (port: number) =>
  fetch(`http://127.0.0.1:${port}/readyz`).then((r) => (r.status === 200 ? true : undefined));

describe('distributed topology: every service its own process, ClickHouse over HTTP', () => {
  const kafka = testKafka();
  const redisUrl = testRedisUrl();
  const prefix = uniquePrefix('topology');
  const topics = {
    events: kafka.uniqueName('topology-events'),
    dvcqg: kafka.uniqueName('topology-dvcqg'),
    catalog: kafka.uniqueName('topology-catalog'),
  };
  const index766Topic = kafka.uniqueName('topology-index766');
  const input = buildInput({ seed: SEED, dossiers: DOSSIERS, startedAt: Date.now() });
  // Catalog and the first events now; the rest once an ingestor was killed, so the survivor must take them.
  const half = Math.ceil(input.messages.length / 2);
  const groupId = kafka.uniqueName('topology-group');
  const referenceGroup = kafka.uniqueName('topology-reference');
  let root: string;
  let store: DistributedClickHouse | undefined;
  let topology: Topology;
  let reference: AllInOne | undefined;
  /** `npm run simulate` live on the same topics before the comparison; both runs see its input. */
  let simulator: NodeProcess | undefined;
  const procs: Record<string, ServiceProcess> = {};

  async function produce(messages: readonly SimMessage[]) {
    const producer = await connectProducer(kafka.kafka, topics);
    try {
      for (let i = 0; i < messages.length; i += 2_000) await producer.send(messages.slice(i, i + 2_000));
    } finally {
      await producer.disconnect();
    }
  }

  const inputTopics = () => Object.values(topics);
  const monitorUrl = () => `http://127.0.0.1:${procs.monitor!.port}`;
  const panels = async (): Promise<PipelinePanels> => {
    const response = await fetch(`${monitorUrl()}/api/pipeline`);
    if (!response.ok) throw new Error(`/api/pipeline answered ${response.status}`);
    return (await response.json()) as PipelinePanels;
  };
  const stored = async (query: string): Promise<number> => {
    const client = createClient({ url: store!.url });
    try {
      const [row] = await (await client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
      return Number(row?.n);
    } finally {
      await client.close();
    }
  };
  /** The monitor stays ready while services behind it die: it still serves the dashboard. */
  const expectMonitorReady = async () => expect((await fetch(`${monitorUrl()}/readyz`)).status).toBe(200);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dossier-topology-'));
    await kafka.createTopics([...inputTopics(), index766Topic]);
    await produce(input.messages.slice(0, half));
    store = await startDistributedClickHouse(join(root, 'distributed', 'clickhouse'));
    topology = await createTopology({
      brokers: kafka.brokers,
      redisUrl,
      clickhouseUrl: store.url,
      names: {
        TOPIC_EVENTS: topics.events,
        TOPIC_DVCQG: topics.dvcqg,
        TOPIC_CATALOG: topics.catalog,
        TOPIC_INDEX766_EXTERNAL: index766Topic,
        TOPIC_DEAD_LETTER: kafka.uniqueName('topology-dead-letter'),
        KAFKA_GROUP_ID: groupId,
        AGGREGATOR_PREFIX: `${prefix}:distributed`,
        AGGREGATOR_INTERVAL_SECONDS: String(INTERVAL_S),
      },
    });
    const [monitorPort, analystsPort] = await freePorts(2);
    const { CLICKHOUSE_URL: _, ...env } = process.env;
    reference = startAllInOne({
      dataDir: join(root, 'reference'),
      env: {
        ...env,
        ...COMPOSE_SECRETS,
        KAFKA_BROKERS: kafka.brokers.join(','),
        REDIS_URL: redisUrl,
        SIMULATOR: 'false',
        TOPIC_EVENTS: topics.events,
        TOPIC_DVCQG: topics.dvcqg,
        TOPIC_CATALOG: topics.catalog,
        TOPIC_INDEX766_EXTERNAL: index766Topic,
        TOPIC_DEAD_LETTER: kafka.uniqueName('topology-reference-dead-letter'),
        KAFKA_GROUP_ID: referenceGroup,
        AGGREGATOR_PREFIX: `${prefix}:reference`,
        AGGREGATOR_INTERVAL_SECONDS: String(INTERVAL_S),
        MONITOR_HOST: '127.0.0.1',
        MONITOR_PORT: String(monitorPort),
        ANALYSTS_PORT: String(analystsPort),
        LOG_LEVEL: 'info',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await simulator?.kill();
    await topology?.killAll();
    await reference?.kill();
    await store?.drop();
    await deleteKeys(prefix, redisUrl);
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('starts the migrator, two ingestors in one group, two aggregators and a monitor from compose', async () => {
    await topology.migrate();
    procs['ingestor-1'] = await topology.start('ingestor', 'ingestor-1');
    procs['ingestor-2'] = await topology.start('ingestor', 'ingestor-2');
    procs['aggregator-1'] = await topology.start('aggregator', 'aggregator-1', { LOG_LEVEL: 'debug' });
    procs['aggregator-2'] = await topology.start('aggregator', 'aggregator-2', { LOG_LEVEL: 'debug' });
    procs.monitor = await topology.start('monitor');
    try {
      for (const p of Object.values(procs)) await until(`${p.name} ready`, () => ready(p.port), 180_000);
      // Both ingestors hold partitions of the group (the second join rebalances the first's away).
      for (const name of ['ingestor-1', 'ingestor-2']) {
        await procs[name]!.waitForLine((l) => l.msg === 'group joined' && partitionsOf(l) > 0);
      }
      await until(
        'the first half consumed',
        async () => ((await caughtUp(kafka.kafka, groupId, inputTopics())) ? true : undefined),
        240_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${topology.logs()}`);
    }
  }, 600_000);

  it('shows the whole pipeline on the monitor: lag from Kafka, throughput from ClickHouse, KPI age, queue', async () => {
    await Promise.race(
      ['aggregator-1', 'aggregator-2'].map((n) => procs[n]!.waitForLine((l) => l.msg === 'kpi cycle done')),
    );
    const shown = await until(
      'the monitor to show both ingestors caught up and a KPI age',
      async () => {
        const p = await panels();
        const settled = p.lag.group?.members === 2 && totalLag(p) === 0 && p.aggregation.ageSeconds !== null;
        return settled ? p : undefined;
      },
      120_000,
    );
    expect(shown.lag.source).toBe('kafka');
    // Every topic the group reads, the Decision 766 figures' (empty here) included.
    expect(shown.lag.partitions).toHaveLength(3 * (inputTopics().length + 1));
    expect(shown.throughput.source).toBe('clickhouse');
    // Exactly what ClickHouse holds: every row and dead letter of this run was written minutes ago.
    expect(shown.throughput.totals).toEqual({
      accepted: await stored('SELECT toString(count()) AS n FROM kpi_touched_v1'),
      rejected: await stored('SELECT toString(count()) AS n FROM dead_letters_v2'),
    });
    expect(shown.throughput.totals.accepted).toBeGreaterThan(100);
    expect(shown.queues).toEqual([expect.objectContaining({ name: 'kpi-aggregator', schedulers: 1 })]);
    await expectMonitorReady();

    const browser = await openBrowser(monitorUrl());
    try {
      const page = await browser.context.newPage();
      await page.goto(`${monitorUrl()}/?lang=en`);
      await page
        .getByTestId('lag-table-row')
        .nth(3 * (inputTopics().length + 1) - 1)
        .waitFor();
      const tile = (id: string, part: string) => page.getByTestId(id).locator(part).textContent();
      expect(await tile('pipeline-throughput', '.stat-value')).toMatch(/^\d[\d.,]* /);
      expect(await tile('pipeline-throughput', '.stat-sub')).toContain(
        `${shown.throughput.totals.accepted.toLocaleString('en')}`,
      );
      expect(await tile('pipeline-lag-total', '.stat-value')).toMatch(/^0 /);
      expect(await tile('pipeline-lag-total', '.stat-sub')).toContain('2 consumers');
      expect(await tile('aggregation-age', '.stat-value')).toMatch(/\d/);
      expect(await page.getByTestId('queue-table-row').count()).toBe(1);
      expect(await page.locator('body').textContent()).not.toMatch(/not in this process/i);
      expect(browser.outside).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('killing one ingestor hands its partitions to the other, which takes the rest without loss', async () => {
    const victim = procs['ingestor-2']!;
    const survivor = procs['ingestor-1']!;
    const from = survivor.lines.length;
    await victim.kill();
    await produce(input.messages.slice(half));
    // The group notices the dead member when its session expires, then the survivor holds every partition.
    const joined = await survivor.waitForLine((l) => l.msg === 'group joined', from);
    expect(partitionsOf(joined)).toBe(3 * (inputTopics().length + 1));
    await until(
      'the second half consumed by the survivor',
      async () => ((await caughtUp(kafka.kafka, groupId, inputTopics())) ? true : undefined),
      300_000,
    );
    expect(survivor.child.exitCode).toBeNull();
    const shown = await until(
      'the monitor to show one ingestor left, caught up',
      async () => {
        const p = await panels();
        return p.lag.group?.members === 1 && totalLag(p) === 0 ? p : undefined;
      },
      120_000,
    );
    expect(shown.throughput.totals.accepted).toBe(
      await stored('SELECT toString(count()) AS n FROM kpi_touched_v1'),
    );
    await expectMonitorReady();
  }, 600_000);

  it('killing one aggregator mid-cycle leaves the other computing within two intervals', async () => {
    const aggregators = [procs['aggregator-1']!, procs['aggregator-2']!];
    const marks = aggregators.map((p) => p.lines.length);
    // Whichever instance takes the next run is killed while it runs.
    const victim = await Promise.race(
      aggregators.map((p, i) => p.waitForLine((l) => l.msg === 'kpi job started', marks[i]).then(() => p)),
    );
    await victim.kill();
    const killedAt = Date.now();
    const other = aggregators.find((p) => p !== victim)!;
    const from = other.lines.length;
    const done = await other.waitForLine((l) => l.msg === 'kpi cycle done', from);
    const started = other.lines.find((l) => l.msg === 'kpi job started' && l.runId === done.runId);
    expect(started, 'the start of the run that completed').toBeDefined();
    // Started within two intervals of the kill: the dead run's job lock lasts 3/4 of one, its claim lease 1/4.
    expect(Date.parse(String(started!.time)) - killedAt).toBeLessThanOrEqual(2 * INTERVAL_S * 1000);
    // The monitor's KPI age comes from the KPI tables: it shows the surviving instance's computation.
    await until(
      'the monitor to show KPIs computed after the kill',
      async () => {
        const { aggregation } = await panels();
        return aggregation.lastComputedAt && utcMs(aggregation.lastComputedAt) > killedAt ? true : undefined;
      },
      60_000,
    );
    await expectMonitorReady();
  }, 300_000);

  it('stores the same dossiers and KPI values as the embedded mode on the same input', async () => {
    // Live agency traffic from `npm run simulate` on the same topics for half a minute, beside the
    // counted input: both runs consume it, so it must end up the same in both.
    const { CLICKHOUSE_URL: _, ...env } = process.env;
    simulator = startNodeProcess(
      'tools/simulator/src/main.ts',
      {
        ...env,
        TOPIC_EVENTS: topics.events,
        TOPIC_DVCQG: topics.dvcqg,
        TOPIC_CATALOG: topics.catalog,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      ['--rate', '20', '--duration', '30', '--seed', 'topology-live', '--brokers', kafka.brokers.join(',')],
    );
    expect(await simulator.exited, simulator.output().slice(-2000)).toBe(0);
    const finished = simulator.lines.find((l) => l.msg === 'simulator finished') as
      | { stats?: { messages?: number; sendErrors?: number } }
      | undefined;
    expect(finished?.stats?.messages ?? 0, 'messages the live simulator sent').toBeGreaterThan(0);
    expect(finished?.stats?.sendErrors).toBe(0);
    const settle = async (label: string, group: string, lastCycle: () => Promise<unknown>) => {
      await until(
        `${label} caught up`,
        async () => ((await caughtUp(kafka.kafka, group, inputTopics())) ? true : undefined),
        300_000,
      );
      await lastCycle();
    };
    const cycleAfter = (p: { lines: LogLine[]; waitForLine: AllInOne['waitForLine'] }) =>
      p.waitForLine((l) => l.msg === 'kpi cycle done', p.lines.length);
    await Promise.all([
      settle('reference', referenceGroup, () => cycleAfter(reference!)),
      settle('distributed', groupId, () =>
        Promise.race(
          topology
            .running()
            .filter((p) => p.role === 'aggregator')
            .map(cycleAfter),
        ),
      ),
    ]);
    const codes = await topology.stopAll();
    expect(codes).toEqual(Object.fromEntries(Object.keys(codes).map((name) => [name, 0])));
    expect(await reference!.stop()).toBe(0);
    // The stand-in releases its chDB directory for the judge; a server is judged over HTTP.
    await store!.release();
    const [distributed, embedded] = await Promise.all([
      judge(join(root, 'distributed'), input.judgeAt, store!.source === 'server' ? store!.url : undefined),
      judge(join(root, 'reference'), input.judgeAt),
    ]);
    expectSameStore(distributed, embedded, input.dossierCodes);
  }, 900_000);
});

function partitionsOf(line: LogLine): number {
  const assignment = (line.assignment ?? {}) as Record<string, number[]>;
  return Object.values(assignment).reduce((n, partitions) => n + partitions.length, 0);
}

function expectSameStore(judged: Judged, reference: Judged, sent: ReadonlySet<string>) {
  expect(judged.cycle.mode).not.toBe('skipped');
  expect(judged.exact).toBe(true);
  expect(reference.dossiers.size).toBeGreaterThan(sent.size * 0.9);
  expect(judged.events).toBe(reference.events);
  const { kpiSamples, ...counts } = compareJudged(judged, reference, sent);
  expect({ ...counts, kpiSamples }).toEqual({
    dossiersSent: sent.size,
    dossiersStored: reference.dossiers.size,
    lost: 0,
    doubleCounted: 0,
    kpiValuesDiffering: 0,
    schemaDifferences: [],
    kpiSamples: [],
  });
  expect(judged.kpis.size).toBeGreaterThan(100);
}
