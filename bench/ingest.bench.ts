// Ingest benchmark (DESIGN.md "Performance and scale targets"): re-measures the raw limits on this
// machine in the same run, then the ingestor's sustained rate and freshness, and reports ratios.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { IngestorConfig, startIngestor } from '../services/ingestor/src/index.ts';
import { startKafka } from '../test/support/start-kafka.ts';
import {
  DAY,
  measureFreshness,
  produce,
  rawConsumeRate,
  rawInsertRate,
  scalar,
  waitCommitted,
} from './ingest-support.ts';

export interface IngestBenchmarkOptions {
  /** Broker list; when absent a native broker is started (and stopped) for the run. */
  brokers?: string[];
  events?: number;
  partitions?: number;
  /** Freshness run: events per second and duration. */
  freshnessRate?: number;
  freshnessSeconds?: number;
  insertChunk?: number;
  log?: (line: string) => void;
}

export interface IngestBenchmarkResult {
  events: number;
  avgMessageBytes: number;
  rawConsumeRate: number;
  rawInsertRate: number;
  endToEndRate: number;
  /** endToEndRate / min(rawConsumeRate, rawInsertRate); the target is ≥ 0.5. */
  ratio: number;
  targetMet: boolean;
  /** Peak resident memory of this process during the end-to-end run (includes embedded ClickHouse). */
  peakRssMb: number;
  /** Peak JS heap + Buffers during that run: the ingestor's own share, without the embedded engine. */
  peakJsMb: number;
  /** 1-minute load average at the end: the machine is shared, so figures are only comparable within a run. */
  loadAverage: number;
  freshness: { rate: number; samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export async function runIngestBenchmark(
  options: IngestBenchmarkOptions = {},
): Promise<IngestBenchmarkResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const events = options.events ?? 300_000;
  const partitions = options.partitions ?? 3;
  const started = options.brokers ? undefined : await startKafka();
  const brokers = options.brokers ?? started?.brokers ?? [];
  const dir = await mkdtemp(join(tmpdir(), 'dossier-bench-ingest-'));
  const clickhouse = await createClickHouse({ url: `chdb:${dir}`, application: 'bench' });
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  try {
    await migrate(clickhouse);
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench-events-${randomUUID().slice(0, 8)}`;
    const freshTopic = `${topic}-fresh`;
    await admin.createTopics({
      topics: [topic, freshTopic].map((t) => ({ topic: t, numPartitions: partitions })),
      waitForLeaders: true,
    });
    const base = Date.now() - 30 * DAY;
    const avgMessageBytes = await produce(kafka, topic, events, base);
    log(`produced ${events} events of ~${avgMessageBytes.toFixed(0)} bytes`);

    const consumeRate = await rawConsumeRate(kafka, topic, events);
    log(`raw kafkajs consume (no work): ${consumeRate.toFixed(0)} msg/s`);

    const insertRate = await rawInsertRate(clickhouse, topic, events, options.insertChunk ?? 25_000, base);
    log(`raw chDB insert of normalized rows: ${insertRate.toFixed(0)} rows/s`);
    await clickhouse.command({ query: 'TRUNCATE TABLE dossier_events_v1' });
    await clickhouse.command({ query: 'TRUNCATE TABLE dossier_state_v1' });

    const config = IngestorConfig.parse({
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_ID: `bench-ingestor-${randomUUID()}`,
      TOPIC_EVENTS: topic,
      TOPIC_DVCQG: `${topic}-dvcqg`,
      TOPIC_CATALOG: `${topic}-catalog`,
      TOPIC_DEAD_LETTER: `${topic}-dlq`,
      APPLICANT_HASH_KEY: 'bench-applicant-hash-key-0123',
      LOG_LEVEL: 'warn',
    });
    const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
    const deps = { logger, health: createHealth(), clickhouse, kafka };
    let peakRss = 0;
    let peakJs = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakJs = Math.max(peakJs, m.heapUsed + m.external);
    }, 100);
    const t0 = performance.now();
    const ingestor = await startIngestor({ ...deps, config, registry: createMetricsRegistry() });
    await waitCommitted(admin, config.KAFKA_GROUP_ID, topic);
    const endToEndRate = events / ((performance.now() - t0) / 1000);
    clearInterval(sampler);
    await ingestor.stop();
    const counted = await scalar(clickhouse, 'SELECT count() AS n FROM dossier_events_v1 FINAL');
    if (counted !== events) throw new Error(`end-to-end run stored ${counted} of ${events} events`);
    log(
      `ingestor end to end: ${endToEndRate.toFixed(0)} msg/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
    );

    const freshness = await measureFreshness(
      kafka,
      clickhouse,
      { ...config, TOPIC_EVENTS: freshTopic, KAFKA_GROUP_ID: `bench-fresh-${randomUUID()}` },
      deps,
      options.freshnessRate ?? 1_000,
      options.freshnessSeconds ?? 15,
    );
    log(`freshness at ${freshness.rate}/s: p50 ${freshness.p50Ms} ms, p99 ${freshness.p99Ms} ms`);
    await admin.disconnect();
    const slower = Math.min(consumeRate, insertRate);
    return {
      events,
      avgMessageBytes,
      rawConsumeRate: Math.round(consumeRate),
      rawInsertRate: Math.round(insertRate),
      endToEndRate: Math.round(endToEndRate),
      ratio: Number((endToEndRate / slower).toFixed(3)),
      targetMet: endToEndRate / slower >= 0.5,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      peakJsMb: Math.round(peakJs / 2 ** 20),
      loadAverage: Number(loadavg()[0]?.toFixed(1)),
      freshness,
    };
  } finally {
    await clickhouse.close();
    await rm(dir, { recursive: true, force: true });
    await started?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim());
  const events = process.env.BENCH_EVENTS ? Number(process.env.BENCH_EVENTS) : undefined;
  console.log(JSON.stringify(await runIngestBenchmark({ brokers, events }), null, 2));
}
