// Ingest benchmark (DESIGN.md "Performance and scale targets"): re-measures the raw limits on this
// machine in the same run, then the peer's (Kafka table engine + view) and the ingestor's sustained rates
// and freshness, and reports ratios.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { startIngestor } from '../services/ingestor/src/index.ts';
import { startKafka } from '../test/support/start-kafka.ts';
import { measureFreshness } from './freshness-support.ts';
import {
  benchIngestorConfig,
  createTopics,
  DAY,
  ingestorTopics,
  produce,
  rawConsumeRate,
  rawInsertRate,
  scalar,
  waitCommitted,
} from './ingest-support.ts';
import { PEER_ENGINE, peerFreshness, produceNormalized, startPeer } from './peer.ts';

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
  /** endToEndRate / each raw limit, and / the peer's rate (target ≥ 1.0), all from this run. */
  ratios: { toRawConsume: number; toRawInsert: number; toSlowerRaw: number; toPeer: number };
  /** Where a target is missed, by how much (ratio points short of it). */
  missedBy: { toSlowerRaw: number; toPeer: number };
  /** ClickHouse's Kafka table engine + materialized view into dossier_events_v1, same events normalized. */
  peer: {
    engine: typeof PEER_ENGINE;
    /** From creating its view to the last row stored. */
    rowsPerSecond: number;
    /** Rows after its first flush, from then to the last (null when one flush carried them all). */
    flowingRowsPerSecond: number | null;
    firstRowsSeconds: number;
    freshness: Awaited<ReturnType<typeof peerFreshness>>;
  };
  /** Peak resident memory of this process during the end-to-end run (includes embedded ClickHouse). */
  peakRssMb: number;
  /** Peak JS heap + Buffers during that run: the ingestor's own share, without the embedded engine. */
  peakJsMb: number;
  /** 1-minute load average at the end: the machine is shared, so figures are only comparable within a run. */
  loadAverage: number;
  /** Quiet machine but for this run: send → insert acknowledged (p50/p99/max) and send → ingested_at. */
  freshness: Awaited<ReturnType<typeof measureFreshness>>;
}

export async function runIngestBenchmark(
  options: IngestBenchmarkOptions = {},
): Promise<IngestBenchmarkResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const events = options.events ?? 300_000;
  const partitions = options.partitions ?? 3;
  const freshnessRate = options.freshnessRate ?? 1_000;
  const freshnessSeconds = options.freshnessSeconds ?? 15;
  const started = options.brokers ? undefined : await startKafka();
  const brokers = options.brokers ?? started?.brokers ?? [];
  const dir = await mkdtemp(join(tmpdir(), 'dossier-bench-ingest-'));
  const url = `chdb:${dir}`;
  const clickhouse = await createClickHouse({ url, application: 'bench' });
  // As in the all-in-one: the ingestor inserts on a connection of its own.
  const ingestClickHouse = await createClickHouse({ url, application: 'bench-ingestor' });
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  const truncate = async () => {
    for (const table of ['dossier_events_v1', 'dossier_state_v1', 'kpi_touched_v1'])
      await clickhouse.command({ query: `TRUNCATE TABLE ${table}` });
  };
  try {
    await migrate(clickhouse);
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench-events-${randomUUID().slice(0, 8)}`;
    const freshTopic = `${topic}-fresh`;
    const peerTopic = `${topic}-normalized`;
    await createTopics(
      admin,
      [...ingestorTopics(topic), ...ingestorTopics(freshTopic), peerTopic],
      partitions,
    );
    const base = Date.now() - 30 * DAY;
    const avgMessageBytes = await produce(kafka, topic, events, base);
    log(`produced ${events} events of ~${avgMessageBytes.toFixed(0)} bytes`);

    const consumeRate = await rawConsumeRate(kafka, topic, events);
    log(`raw kafkajs consume (no work): ${consumeRate.toFixed(0)} msg/s`);

    const insertRate = await rawInsertRate(clickhouse, topic, events, options.insertChunk ?? 25_000, base);
    log(`raw chDB insert of normalized rows: ${insertRate.toFixed(0)} rows/s`);
    await truncate();

    await produceNormalized(kafka, peerTopic, events, base);
    const peer = await startPeer(clickhouse, brokers, peerTopic);
    const peerRate = await peer.rate(events);
    log(
      `peer (Kafka engine + view): ${peerRate.rowsPerSecond.toFixed(0)} rows/s, first rows after ${peerRate.firstRowsSeconds.toFixed(1)} s`,
    );
    const peerFresh = await peerFreshness(clickhouse, kafka, peerTopic, freshnessRate, freshnessSeconds);
    log(`peer freshness at ${freshnessRate}/s: p50 ${peerFresh.p50Ms} ms, p99 ${peerFresh.p99Ms} ms`);
    await peer.drop();
    await truncate();

    const config = benchIngestorConfig(brokers, topic, `bench-ingestor-${randomUUID()}`);
    const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
    let peakRss = 0;
    let peakJs = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakJs = Math.max(peakJs, m.heapUsed + m.external);
    }, 100);
    const t0 = performance.now();
    const ingestor = await startIngestor({
      config,
      logger,
      health: createHealth(),
      clickhouse: ingestClickHouse,
      kafka,
      registry: createMetricsRegistry(),
    });
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
      { logger, ingestClickHouse },
      freshnessRate,
      freshnessSeconds,
    );
    log(`freshness at ${freshness.rate}/s: p50 ${freshness.p50Ms} ms, p99 ${freshness.p99Ms} ms`);
    await admin.disconnect();
    const slower = Math.min(consumeRate, insertRate);
    const ratio = (x: number) => Number(x.toFixed(3));
    const toPeer = endToEndRate / peerRate.rowsPerSecond;
    return {
      events,
      avgMessageBytes,
      rawConsumeRate: Math.round(consumeRate),
      rawInsertRate: Math.round(insertRate),
      endToEndRate: Math.round(endToEndRate),
      ratio: ratio(endToEndRate / slower),
      targetMet: endToEndRate / slower >= 0.5 && toPeer >= 1,
      ratios: {
        toRawConsume: ratio(endToEndRate / consumeRate),
        toRawInsert: ratio(endToEndRate / insertRate),
        toSlowerRaw: ratio(endToEndRate / slower),
        toPeer: ratio(toPeer),
      },
      missedBy: {
        toSlowerRaw: ratio(Math.max(0, 0.5 - endToEndRate / slower)),
        toPeer: ratio(Math.max(0, 1 - toPeer)),
      },
      peer: {
        engine: PEER_ENGINE,
        rowsPerSecond: Math.round(peerRate.rowsPerSecond),
        flowingRowsPerSecond:
          peerRate.flowingRowsPerSecond === null ? null : Math.round(peerRate.flowingRowsPerSecond),
        firstRowsSeconds: ratio(peerRate.firstRowsSeconds),
        freshness: peerFresh,
      },
      peakRssMb: Math.round(peakRss / 2 ** 20),
      peakJsMb: Math.round(peakJs / 2 ** 20),
      loadAverage: Number(loadavg()[0]?.toFixed(1)),
      freshness,
    };
  } finally {
    await ingestClickHouse.close();
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
