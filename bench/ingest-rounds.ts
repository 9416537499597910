// The ingest bench's same-load comparison: the peer (Kafka table engine + view) and the ingestor take turns
// on one broker and one engine (rounds P I I P …), each on a topic produced for it alone, so a pair of
// neighbouring rounds ran under the same load and its ratio is the ingestor's own, not the machine's swing.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { ClickHouse } from '@dossier/clickhouse';
import { createHealth, createMetricsRegistry, type Logger } from '@dossier/observability';
import type { Admin, Kafka } from 'kafkajs';
import { startIngestor } from '../services/ingestor/src/index.ts';
import {
  benchIngestorConfig,
  createTopics,
  ingestorTopics,
  produce,
  scalar,
  waitCommitted,
} from './ingest-support.ts';
import { produceNormalized, startPeer } from './peer.ts';

export type RoundKind = 'peer' | 'ingestor';

export interface Round {
  kind: RoundKind;
  rowsPerSecond: number;
  /** 1-minute load average when the round began and ended. */
  load: [number, number];
  /** The peer's first rows after its view was created (s); the ingestor's peak RSS and JS memory (MB). */
  firstRowsSeconds?: number;
  flowingRowsPerSecond?: number | null;
  peakRssMb?: number;
  peakJsMb?: number;
}

export interface RoundsSetup {
  clickhouse: ClickHouse;
  /** The ingestor's own connection (as in the all-in-one). */
  ingestClickHouse: ClickHouse;
  kafka: Kafka;
  admin: Admin;
  brokers: string[];
  logger: Logger;
  events: number;
  partitions: number;
  base: number;
  /** Called after a peer round while its view still runs (the peer's freshness is measured there once). */
  onPeerAttached?: (topic: string) => Promise<void>;
  log: (line: string) => void;
}

const load = () => Math.round((loadavg()[0] ?? 0) * 10) / 10;

/** 'PIIP' → ['peer', 'ingestor', 'ingestor', 'peer']; pairs of neighbours must hold one of each. */
export function parseOrder(order: string): RoundKind[] {
  const kinds = order.split('').map((c) => {
    if (c === 'P') return 'peer' as const;
    if (c === 'I') return 'ingestor' as const;
    throw new Error(`round order ${order}: only P (peer) and I (ingestor)`);
  });
  if (kinds.length === 0 || kinds.length % 2 !== 0) throw new Error(`round order ${order}: pairs of rounds`);
  for (let i = 0; i < kinds.length; i += 2)
    if (kinds[i] === kinds[i + 1]) throw new Error(`round order ${order}: each pair holds one P and one I`);
  return kinds;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The ingestor's rate over the peer's within each pair of neighbouring rounds. */
export function pairRatios(rounds: Round[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < rounds.length; i += 2) {
    const pair = [rounds[i], rounds[i + 1]];
    const peer = pair.find((r) => r?.kind === 'peer');
    const ingestor = pair.find((r) => r?.kind === 'ingestor');
    if (peer && ingestor) ratios.push(ingestor.rowsPerSecond / peer.rowsPerSecond);
  }
  return ratios;
}

export async function runRounds(setup: RoundsSetup, kinds: RoundKind[]): Promise<Round[]> {
  const rounds: Round[] = [];
  for (const [i, kind] of kinds.entries()) {
    await truncate(setup.clickhouse);
    const round = kind === 'peer' ? await peerRound(setup, i) : await ingestorRound(setup, i);
    rounds.push(round);
    setup.log(`round ${i + 1} ${kind}: ${round.rowsPerSecond} rows/s, load ${round.load.join(' → ')}`);
  }
  await truncate(setup.clickhouse);
  return rounds;
}

async function truncate(clickhouse: ClickHouse) {
  for (const table of ['dossier_events_v1', 'dossier_state_v1', 'kpi_touched_v1'])
    await clickhouse.command({ query: `TRUNCATE TABLE ${table}` });
}

/** A topic name of its own for round `i`: batches' deduplication tokens name the topic, so none repeats. */
const roundTopic = (kind: RoundKind, i: number) => `bench-${kind}-${i}-${randomUUID().slice(0, 8)}`;

async function peerRound(setup: RoundsSetup, i: number): Promise<Round> {
  const topic = roundTopic('peer', i);
  await createTopics(setup.admin, [topic], setup.partitions);
  await produceNormalized(setup.kafka, topic, setup.events, setup.base);
  const before = load();
  const peer = await startPeer(setup.clickhouse, setup.brokers, topic);
  try {
    const rate = await peer.rate(setup.events);
    const after = load();
    await setup.onPeerAttached?.(topic);
    return {
      kind: 'peer',
      rowsPerSecond: Math.round(rate.rowsPerSecond),
      load: [before, after],
      firstRowsSeconds: Number(rate.firstRowsSeconds.toFixed(3)),
      flowingRowsPerSecond: rate.flowingRowsPerSecond === null ? null : Math.round(rate.flowingRowsPerSecond),
    };
  } finally {
    await peer.drop();
  }
}

async function ingestorRound(setup: RoundsSetup, i: number): Promise<Round> {
  const topic = roundTopic('ingestor', i);
  await createTopics(setup.admin, ingestorTopics(topic), setup.partitions);
  await produce(setup.kafka, topic, setup.events, setup.base);
  const config = benchIngestorConfig(setup.brokers, topic, `bench-ingestor-${randomUUID()}`);
  let peakRss = 0;
  let peakJs = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakJs = Math.max(peakJs, m.heapUsed + m.external);
  }, 100);
  const before = load();
  const t0 = performance.now();
  const ingestor = await startIngestor({
    config,
    logger: setup.logger,
    health: createHealth(),
    clickhouse: setup.ingestClickHouse,
    kafka: setup.kafka,
    registry: createMetricsRegistry(),
  });
  let rowsPerSecond: number;
  try {
    await waitCommitted(setup.admin, config.KAFKA_GROUP_ID, topic);
    rowsPerSecond = setup.events / ((performance.now() - t0) / 1000);
  } finally {
    clearInterval(sampler);
    await ingestor.stop();
  }
  const after = load();
  const counted = await scalar(setup.clickhouse, 'SELECT count() AS n FROM dossier_events_v1 FINAL');
  if (counted !== setup.events) throw new Error(`ingestor round stored ${counted} of ${setup.events} events`);
  return {
    kind: 'ingestor',
    rowsPerSecond: Math.round(rowsPerSecond),
    load: [before, after],
    peakRssMb: Math.round(peakRss / 2 ** 20),
    peakJsMb: Math.round(peakJs / 2 ** 20),
  };
}
