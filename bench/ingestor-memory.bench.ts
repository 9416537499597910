// `tsx bench/ingestor-memory.bench.ts [--backlog N] [--seconds S]`: the distributed ingestor alone (its
// main.ts, a process of its own) in front of a backlog of N canonical events, writing to ClickHouse over
// HTTP (the stand-in of test/support, another process), and its resident memory sampled every 100 ms
// against the messages it has committed. The target is < 300 MB under a 10-million-message backlog; the
// run stops after S seconds if the backlog is not drained by then, and reports the RSS trend either way.
// First, freshness at 1,000 ev/s with ClickHouse over HTTP (the ingestor in this process).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { environmentOf, resolvedCompose } from '../test/deploy/compose-file.ts';
import { startKafka } from '../test/support/start-kafka.ts';
import { measureFreshness } from './freshness-support.ts';
import {
  benchIngestorConfig,
  createTopics,
  DAY,
  eventMessage,
  ingestorTopics,
  sleep,
} from './ingest-support.ts';
import { rssOf } from './rss.ts';

const MiB = 2 ** 20;

export interface IngestorMemoryOptions {
  brokers?: string[];
  backlog?: number;
  /** Longest the backlog run may take; the RSS trend is reported for what was consumed by then. */
  seconds?: number;
  /** Node options of the ingestor's process (e.g. a heap cap). */
  nodeOptions?: string[];
  /** Skips the freshness run over HTTP (quicker memory iterations). */
  skipFreshness?: boolean;
  log?: (line: string) => void;
}

function spawnTsx(
  script: string,
  env: Record<string, string> = {},
  nodeOptions: string[] = [],
): ChildProcess {
  // node itself (not npx/tsx's launcher) so that the pid sampled is the process doing the work.
  return spawn(process.execPath, [...nodeOptions, '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** Produces `count` canonical events, 5,000 a request and up to 4 requests in flight. */
async function produceBacklog(kafka: Kafka, topic: string, count: number, log: (line: string) => void) {
  const producer = kafka.producer();
  await producer.connect();
  const base = Date.now() - 30 * DAY;
  const inFlight = new Set<Promise<unknown>>();
  let reported = 0;
  try {
    for (let from = 0; from < count; from += 5_000) {
      const messages = Array.from({ length: Math.min(5_000, count - from) }, (_, k) =>
        eventMessage(from + k, base),
      );
      const sent = producer.send({ topic, messages, acks: 1 });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= 4) await Promise.race(inFlight);
      if (from - reported >= 1_000_000) {
        reported = from;
        log(`[bench:memory] produced ${from} events`);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}

export async function runIngestorMemory(options: IngestorMemoryOptions = {}) {
  const log = options.log ?? ((line: string) => console.error(line));
  const backlog = options.backlog ?? 10_000_000;
  const seconds = options.seconds ?? 600;
  const started = options.brokers ? undefined : await startKafka();
  const brokers = options.brokers ?? started?.brokers ?? [];
  const standIn = spawnTsx('bench/standin.main.ts');
  let ingestor: ChildProcess | undefined;
  try {
    const [url] = (await once(
      createInterface({ input: standIn.stdout as NodeJS.ReadableStream }),
      'line',
    )) as [string];
    const clickhouse = await createClickHouse({ url, application: 'bench' });
    const kafka = new Kafka({ clientId: 'bench-memory', brokers, logLevel: logLevel.ERROR });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await migrate(clickhouse);
      const topic = `bench-backlog-${randomUUID().slice(0, 8)}`;
      const freshTopic = `${topic}-fresh`;
      await createTopics(admin, [...ingestorTopics(topic), ...ingestorTopics(freshTopic)], 3);

      const freshConfig = benchIngestorConfig(brokers, freshTopic, `bench-fresh-${randomUUID()}`);
      const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
      const freshness = options.skipFreshness
        ? undefined
        : await measureFreshness(kafka, clickhouse, freshConfig, { logger }, 1_000, 15);
      if (freshness)
        log(
          `[bench:memory] freshness over HTTP at 1000/s: p50 ${freshness.p50Ms} ms, p99 ${freshness.p99Ms} ms`,
        );

      const t0 = performance.now();
      await produceBacklog(kafka, topic, backlog, log);
      log(`[bench:memory] backlog of ${backlog} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

      const config = benchIngestorConfig(brokers, topic, `bench-memory-${randomUUID()}`);
      const env: Record<string, string> = {
        CLICKHOUSE_URL: url,
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_GROUP_ID: config.KAFKA_GROUP_ID,
        TOPIC_EVENTS: config.TOPIC_EVENTS,
        TOPIC_DVCQG: config.TOPIC_DVCQG,
        TOPIC_CATALOG: config.TOPIC_CATALOG,
        TOPIC_DEAD_LETTER: config.TOPIC_DEAD_LETTER,
        APPLICANT_HASH_KEY: config.APPLICANT_HASH_KEY,
        DEAD_LETTER_KEY: config.DEAD_LETTER_KEY,
        OPS_PORT: '0',
        KAFKA_ENSURE_TOPICS: 'false',
        LOG_LEVEL: 'warn',
        // The ingestor runs as docker-compose.yml deploys it (its heap cap).
        NODE_OPTIONS: environmentOf(await resolvedCompose(), 'ingestor').NODE_OPTIONS ?? '',
      };
      const began = performance.now();
      ingestor = spawnTsx('services/ingestor/src/main.ts', env, options.nodeOptions);
      ingestor.stdout?.resume();
      const pid = ingestor.pid ?? 0;
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssOf(pid) ?? 0);
      }, 100);
      // RSS against progress: the peak of each stretch between two progress reads (every 2 s).
      const trend: { committed: number; seconds: number; peakRssMb: number }[] = [];
      let committed = 0;
      try {
        while (committed < backlog && performance.now() - began < seconds * 1000) {
          if (ingestor.exitCode !== null) throw new Error(`ingestor exited with ${ingestor.exitCode}`);
          await sleep(2_000);
          // A fresh broker's group coordinator may still be loading: keep the last figure until it answers.
          const offsets = await admin
            .fetchOffsets({ groupId: config.KAFKA_GROUP_ID, topics: [topic] })
            .catch(() => undefined);
          if (offsets)
            committed = offsets
              .flatMap((t) => t.partitions)
              .reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
          trend.push({
            committed,
            seconds: Math.round((performance.now() - began) / 1000),
            peakRssMb: Math.round(peak / MiB),
          });
          peak = 0;
        }
      } finally {
        clearInterval(sampler);
      }
      const elapsed = (performance.now() - began) / 1000;
      await stopChild(ingestor);
      const peakRssMb = Math.max(0, ...trend.map((t) => t.peakRssMb));
      // Growth with what has been consumed: the later half's peak over the earlier half's.
      const half = Math.floor(trend.length / 2);
      const earlier = Math.max(0, ...trend.slice(0, half).map((t) => t.peakRssMb));
      const later = Math.max(0, ...trend.slice(half).map((t) => t.peakRssMb));
      return {
        backlog,
        committed,
        drained: committed >= backlog,
        seconds: Math.round(elapsed),
        messagesPerSecond: Math.round(committed / elapsed),
        peakRssMb,
        targetMb: 300,
        targetMet: peakRssMb < 300 && committed >= backlog,
        missedByMb: Math.max(0, peakRssMb - 300),
        rssLaterOverEarlierHalf: earlier > 0 ? Number((later / earlier).toFixed(3)) : null,
        trend: thin(trend, 20),
        freshnessOverHttp: freshness,
        loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
      };
    } finally {
      await admin.disconnect();
      await clickhouse.close();
    }
  } finally {
    if (ingestor) await stopChild(ingestor);
    await stopChild(standIn);
    await started?.stop();
  }
}

/** At most `n` evenly spaced entries, the last always kept. */
function thin<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const step = items.length / n;
  return Array.from(
    { length: n },
    (_, i) => items[Math.min(items.length - 1, Math.round((i + 1) * step) - 1)] as T,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      backlog: { type: 'string' },
      seconds: { type: 'string' },
      'skip-freshness': { type: 'boolean', default: false },
      'node-option': { type: 'string', multiple: true },
    },
  });
  const result = await runIngestorMemory({
    brokers: process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()),
    backlog: values.backlog ? Number(values.backlog) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    skipFreshness: values['skip-freshness'],
    nodeOptions: values['node-option'],
  });
  console.log(JSON.stringify(result, null, 2));
}
