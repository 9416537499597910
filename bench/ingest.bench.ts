// Ingest benchmark (DESIGN.md "Performance and scale targets"): re-measures the raw limits on this
// machine in the same run, then the peer's (Kafka table engine + view) and the ingestor's sustained rates
// in alternating rounds (ingest-rounds.ts: P I I P by default, BENCH_INGEST_ORDER), and freshness; reports
// ratios, the ratio to the peer as the median over pairs of neighbouring rounds (same load).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/support/start-kafka.ts';
import { measureFreshness } from './freshness-support.ts';
import { median, pairRatios, parseOrder, type Round, runRounds } from './ingest-rounds.ts';
import {
  benchIngestorConfig,
  createTopics,
  DAY,
  ingestorTopics,
  produce,
  rawConsumeRate,
  rawInsertRate,
} from './ingest-support.ts';
import { PEER_ENGINE, peerFreshness } from './peer.ts';

export interface IngestBenchmarkOptions {
  /** Broker list; when absent a native broker is started (and stopped) for the run. */
  brokers?: string[];
  events?: number;
  partitions?: number;
  /** Freshness run: events per second and duration. */
  freshnessRate?: number;
  freshnessSeconds?: number;
  insertChunk?: number;
  /** Peer (P) and ingestor (I) rounds, in pairs of one each (default 'PIIP'). */
  order?: string;
  log?: (line: string) => void;
}

export interface IngestBenchmarkResult {
  events: number;
  avgMessageBytes: number;
  rawConsumeRate: number;
  rawInsertRate: number;
  /** The ingestor rounds' median. */
  endToEndRate: number;
  /** endToEndRate / min(rawConsumeRate, rawInsertRate); the target is ≥ 0.5. */
  ratio: number;
  targetMet: boolean;
  /**
   * endToEndRate / each raw limit (measured once, before the rounds), and the ingestor's rate over the
   * peer's: the median over pairs of neighbouring rounds (target ≥ 1.0), each pair's in `toPeerByPair`.
   */
  ratios: {
    toRawConsume: number;
    toRawInsert: number;
    toSlowerRaw: number;
    toPeer: number;
    toPeerByPair: number[];
  };
  /** Every round in the order run, with the load average at its start and end. */
  rounds: Round[];
  /** Where a target is missed, by how much (ratio points short of it). */
  missedBy: { toSlowerRaw: number; toPeer: number };
  /** ClickHouse's Kafka table engine + materialized view into dossier_events_v1, same events normalized. */
  peer: {
    engine: typeof PEER_ENGINE;
    /** From creating its view to the last row stored: the peer rounds' median. */
    rowsPerSecond: number;
    /** Rows after its first flush, from then to the last (null when one flush carried them all): median. */
    flowingRowsPerSecond: number | null;
    /** The peer rounds' median. */
    firstRowsSeconds: number;
    freshness: Awaited<ReturnType<typeof peerFreshness>>;
  };
  /** Peak resident memory of this process during the ingestor rounds (includes embedded ClickHouse). */
  peakRssMb: number;
  /** Peak JS heap + Buffers during those rounds: the ingestor's own share, without the embedded engine. */
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
  try {
    await migrate(clickhouse);
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench-events-${randomUUID().slice(0, 8)}`;
    const freshTopic = `${topic}-fresh`;
    await createTopics(admin, [...ingestorTopics(topic), ...ingestorTopics(freshTopic)], partitions);
    const base = Date.now() - 30 * DAY;
    const avgMessageBytes = await produce(kafka, topic, events, base);
    log(`produced ${events} events of ~${avgMessageBytes.toFixed(0)} bytes`);

    const consumeRate = await rawConsumeRate(kafka, topic, events);
    log(`raw kafkajs consume (no work): ${consumeRate.toFixed(0)} msg/s`);

    const insertRate = await rawInsertRate(clickhouse, topic, events, options.insertChunk ?? 25_000, base);
    log(`raw chDB insert of normalized rows: ${insertRate.toFixed(0)} rows/s`);

    const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
    let peerFresh: Awaited<ReturnType<typeof peerFreshness>> | undefined;
    const rounds = await runRounds(
      {
        clickhouse,
        ingestClickHouse,
        kafka,
        admin,
        brokers,
        logger,
        events,
        partitions,
        base,
        log,
        // Once, on the first peer round, while its view still runs.
        onPeerAttached: async (peerTopic) => {
          if (peerFresh) return;
          peerFresh = await peerFreshness(clickhouse, kafka, peerTopic, freshnessRate, freshnessSeconds);
          log(`peer freshness at ${freshnessRate}/s: p50 ${peerFresh.p50Ms} ms, p99 ${peerFresh.p99Ms} ms`);
        },
      },
      parseOrder(options.order ?? 'PIIP'),
    );
    if (!peerFresh) throw new Error('no peer round');
    const peerRounds = rounds.filter((r) => r.kind === 'peer');
    const ingestorRounds = rounds.filter((r) => r.kind === 'ingestor');
    const peerRate = median(peerRounds.map((r) => r.rowsPerSecond));
    const endToEndRate = median(ingestorRounds.map((r) => r.rowsPerSecond));
    const byPair = pairRatios(rounds);
    const toPeer = median(byPair);
    log(`ingestor / peer by pair of neighbouring rounds: ${byPair.map((r) => r.toFixed(3)).join(', ')}`);

    const freshness = await measureFreshness(
      kafka,
      clickhouse,
      benchIngestorConfig(brokers, freshTopic, `bench-fresh-${randomUUID()}`),
      { logger, ingestClickHouse },
      freshnessRate,
      freshnessSeconds,
    );
    log(`freshness at ${freshness.rate}/s: p50 ${freshness.p50Ms} ms, p99 ${freshness.p99Ms} ms`);
    await admin.disconnect();
    const slower = Math.min(consumeRate, insertRate);
    const flowing = peerRounds.flatMap((r) => (r.flowingRowsPerSecond ? [r.flowingRowsPerSecond] : []));
    const ratio = (x: number) => Number(x.toFixed(3));
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
        toPeerByPair: byPair.map(ratio),
      },
      rounds,
      missedBy: {
        toSlowerRaw: ratio(Math.max(0, 0.5 - endToEndRate / slower)),
        toPeer: ratio(Math.max(0, 1 - toPeer)),
      },
      peer: {
        engine: PEER_ENGINE,
        rowsPerSecond: Math.round(peerRate),
        flowingRowsPerSecond: flowing.length > 0 ? Math.round(median(flowing)) : null,
        firstRowsSeconds: ratio(median(peerRounds.map((r) => r.firstRowsSeconds ?? Number.NaN))),
        freshness: peerFresh,
      },
      peakRssMb: Math.max(...ingestorRounds.map((r) => r.peakRssMb ?? 0)),
      peakJsMb: Math.max(...ingestorRounds.map((r) => r.peakJsMb ?? 0)),
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
  const order = process.env.BENCH_INGEST_ORDER || undefined;
  console.log(JSON.stringify(await runIngestBenchmark({ brokers, events, order }), null, 2));
}
