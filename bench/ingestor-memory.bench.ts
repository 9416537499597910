// `tsx bench/ingestor-memory.bench.ts [--backlog N] [--seconds S] [--backlog-topic T] [--ops-port P]
// [--ingestor-script dist/ingestor.js]`: the distributed ingestor alone (its main.ts through tsx, or the
// image's bundle: a process of its own) in front of a backlog of N canonical events, writing to ClickHouse
// over HTTP (the stand-in of test/support, another process), and its resident memory sampled every 100 ms
// against the messages it has committed and those still waiting in front of it. The target is < 300 MB under a 10-million-message backlog. Consuming 10M through the stand-in takes
// hours on a shared 2-core machine, so the run stops after S seconds and reports the RSS trend over what
// was consumed, with the backlog that was still waiting all along (the memory must not grow with it).
// `--backlog-topic` names a topic kept between runs: produced once (backlog-producer/, 115,000 msg/s here
// with Kafka's Java client), then every run reads it from the beginning with a fresh group. The ingestor's
// /metrics (heap, external memory) are read with each progress sample to tell what the resident memory holds.
// First, freshness at 1,000 ev/s with ClickHouse over HTTP (the ingestor in this process).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { environmentOf, resolvedCompose } from '../test/deploy/compose-file.ts';
import { freePorts } from '../test/support/free-port.ts';
import { startKafka } from '../test/support/start-kafka.ts';
import { produceBacklog } from './backlog-producer/produce-backlog.ts';
import { measureFreshness } from './freshness-support.ts';
import { benchIngestorConfig, createTopics, ingestorTopics, sleep } from './ingest-support.ts';
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
  /**
   * A backlog topic kept between runs (3 partitions): produced up to `backlog` messages when it holds
   * fewer, read from the beginning by a fresh group. Without it a new topic is produced every run.
   */
  backlogTopic?: string;
  /** The ingestor's ops port (its /metrics are read with each sample); a free one when absent. */
  opsPort?: number;
  /**
   * The ingestor's entry: its main.ts through tsx (default), or the image's bundle (`dist/ingestor.js`
   * after `npm run build`), run by node alone as the container runs it.
   */
  ingestorScript?: string;
  log?: (line: string) => void;
}

function spawnTsx(
  script: string,
  env: Record<string, string> = {},
  nodeOptions: string[] = [],
): ChildProcess {
  // node itself (not npx/tsx's launcher) so that the pid sampled is the process doing the work.
  const loader = script.endsWith('.js') ? [] : ['--import', 'tsx'];
  return spawn(process.execPath, [...nodeOptions, ...loader, script], {
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

export async function runIngestorMemory(options: IngestorMemoryOptions = {}) {
  const log = options.log ?? ((line: string) => console.error(line));
  const backlog = options.backlog ?? 10_000_000;
  const seconds = options.seconds ?? 600;
  const opsPort = options.opsPort ?? (Number(process.env.BENCH_OPS_PORT) || ((await freePorts(1))[0] ?? 0));
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
      const topic = options.backlogTopic ?? `bench-backlog-${randomUUID().slice(0, 8)}`;
      const freshTopic = `bench-backlog-${randomUUID().slice(0, 8)}-fresh`;
      const existing = new Set(await admin.listTopics());
      await createTopics(
        admin,
        [...ingestorTopics(topic), ...ingestorTopics(freshTopic)].filter((t) => !existing.has(t)),
        3,
      );

      const freshConfig = benchIngestorConfig(brokers, freshTopic, `bench-fresh-${randomUUID()}`);
      const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
      const freshness = options.skipFreshness
        ? undefined
        : await measureFreshness(kafka, clickhouse, freshConfig, { logger }, 1_000, 15);
      if (freshness) log(`[bench:memory] freshness over HTTP at 1000/s: ${JSON.stringify(freshness)}`);

      const t0 = performance.now();
      const already = await messagesIn(admin, topic);
      if (already < backlog) await produceBacklog(kafka, brokers, topic, already, backlog, log);
      const produceSeconds = Math.round((performance.now() - t0) / 1000);
      const backlogAtStart = await messagesIn(admin, topic);
      log(
        `[bench:memory] backlog of ${backlogAtStart} (${Math.max(0, backlog - already)} produced in ${produceSeconds} s)`,
      );

      const config = benchIngestorConfig(brokers, topic, `bench-memory-${randomUUID()}`);
      const env: Record<string, string> = {
        CLICKHOUSE_URL: url,
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_GROUP_ID: config.KAFKA_GROUP_ID,
        TOPIC_EVENTS: config.TOPIC_EVENTS,
        TOPIC_DVCQG: config.TOPIC_DVCQG,
        TOPIC_CATALOG: config.TOPIC_CATALOG,
        TOPIC_INDEX766_EXTERNAL: config.TOPIC_INDEX766_EXTERNAL,
        TOPIC_DEAD_LETTER: config.TOPIC_DEAD_LETTER,
        APPLICANT_HASH_KEY: config.APPLICANT_HASH_KEY,
        DEAD_LETTER_KEY: config.DEAD_LETTER_KEY,
        OPS_PORT: String(opsPort),
        KAFKA_ENSURE_TOPICS: 'false',
        LOG_LEVEL: 'warn',
        // The ingestor runs as docker-compose.yml deploys it (its heap cap).
        NODE_OPTIONS: environmentOf(await resolvedCompose(), 'ingestor').NODE_OPTIONS ?? '',
      };
      const began = performance.now();
      const script = options.ingestorScript ?? 'services/ingestor/src/main.ts';
      ingestor = spawnTsx(script, env, options.nodeOptions);
      // Its last log lines (warn and above) say why, should it exit.
      const lastLines: string[] = [];
      createInterface({ input: ingestor.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
      });
      const pid = ingestor.pid ?? 0;
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssOf(pid) ?? 0);
      }, 100);
      // RSS against progress: the peak of each stretch between two progress reads (every 2 s), the
      // messages still waiting in front of the ingestor, and its heap and external memory then.
      const trend: {
        committed: number;
        waiting: number;
        seconds: number;
        peakRssMb: number;
        heapUsedMb?: number;
        heapTotalMb?: number;
        externalMb?: number;
      }[] = [];
      let committed = 0;
      try {
        while (committed < backlogAtStart && performance.now() - began < seconds * 1000) {
          if (ingestor.exitCode !== null)
            throw new Error(`ingestor exited with ${ingestor.exitCode}:\n${lastLines.join('\n')}`);
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
            waiting: backlogAtStart - committed,
            seconds: Math.round((performance.now() - began) / 1000),
            peakRssMb: Math.round(peak / MiB),
            ...(await heapOf(opsPort)),
          });
          peak = 0;
          if (trend.length % 30 === 0) {
            const last = trend[trend.length - 1];
            log(`[bench:memory] ${JSON.stringify(last)}`);
          }
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
      // The backlog only shrinks while measured: every sample was taken with at least this many waiting.
      const waitingAtEnd = backlogAtStart - committed;
      return {
        backlog: backlogAtStart,
        ingestor: script,
        produceSeconds,
        committed,
        drained: committed >= backlogAtStart,
        waitingAtEnd,
        seconds: Math.round(elapsed),
        messagesPerSecond: Math.round(committed / elapsed),
        peakRssMb,
        targetMb: 300,
        // Under a backlog of 10M: met when every sample stayed below the target with ≥ 10M waiting ahead
        // at the start; `waitingAtEnd` says how much of it was still in front of the ingestor at the end.
        targetMet: peakRssMb < 300 && backlogAtStart >= 10_000_000,
        missedByMb: Math.max(0, peakRssMb - 300),
        marginMb: 300 - peakRssMb,
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

/** Messages in every partition of `topic` (0 when it does not exist yet). */
async function messagesIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** The ingestor's V8 heap and external memory from its /metrics, MiB (nothing when it does not answer). */
async function heapOf(
  port: number,
): Promise<{ heapUsedMb?: number; heapTotalMb?: number; externalMb?: number }> {
  try {
    const text = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3_000) })
    ).text();
    const metric = (name: string) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      return match?.[1] ? Math.round(Number(match[1]) / MiB) : undefined;
    };
    return {
      heapUsedMb: metric('nodejs_heap_size_used_bytes'),
      heapTotalMb: metric('nodejs_heap_size_total_bytes'),
      externalMb: metric('nodejs_external_memory_bytes'),
    };
  } catch {
    return {};
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
      'backlog-topic': { type: 'string' },
      'ops-port': { type: 'string' },
      'ingestor-script': { type: 'string' },
    },
  });
  const result = await runIngestorMemory({
    brokers: process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()),
    backlog: values.backlog ? Number(values.backlog) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    skipFreshness: values['skip-freshness'],
    nodeOptions: values['node-option'],
    backlogTopic: values['backlog-topic'],
    opsPort: values['ops-port'] ? Number(values['ops-port']) : undefined,
    ingestorScript: values['ingestor-script'],
  });
  console.log(JSON.stringify(result, null, 2));
}
