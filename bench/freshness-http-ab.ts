// `tsx bench/freshness-http-ab.ts --variants '{"A":{…},"B":{…}}' [--order ABBA] [--seconds 15]`: freshness
// over HTTP at 1,000 ev/s (the memory bench's first phase: the ingestor in this process, the ClickHouse HTTP
// stand-in in another) for ingestor settings side by side. One stand-in and one broker (KAFKA_BROKERS, else
// one started here) serve every round, so rounds alternate within minutes of each other (A B B A) on a
// shared machine; each round has its own topics and group. A variant is a set of IngestorConfig fields,
// e.g. {"INGEST_MIN_BYTES":1}. One JSON line per round on stdout: the load average at its start and end,
// send → acknowledgement p50/p95/p99, send → insert call and insert call → acknowledgement (p50, p99), the
// insert calls, the stand-in's CPU and this process's (the ingestor's and the producer's); then one line per
// variant: its rounds' median p50/p95/p99 and its events pooled over every round (p50/p95/p99).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import type { IngestorConfig } from '../services/ingestor/src/index.ts';
import { startKafka } from '../test/support/start-kafka.ts';
import { measureFreshness, quantiles } from './freshness-support.ts';
import { benchIngestorConfig, createTopics, ingestorTopics } from './ingest-support.ts';

const { values } = parseArgs({
  options: {
    variants: { type: 'string' },
    order: { type: 'string', default: 'ABBA' },
    seconds: { type: 'string', default: '15' },
  },
});
const variants = JSON.parse(values.variants ?? '{}') as Record<string, Partial<IngestorConfig>>;
const order = values.order.split('');
const missing = order.filter((v) => !(v in variants));
if (missing.length > 0) throw new Error(`--variants names no ${[...new Set(missing)].join(', ')}`);
/** CPU seconds the stand-in (the engine behind the HTTP interface) has used so far (Linux /proc). */
const engineCpu = (pid: number | undefined): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const load = () => Math.round((loadavg()[0] ?? 0) * 10) / 10;
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const summary = new Map<string, { delays: number[]; rounds: { p50: number; p95: number; p99: number }[] }>();

const started = await startKafka();
const standIn: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/standin.main.ts'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const [url] = (await once(createInterface({ input: standIn.stdout as NodeJS.ReadableStream }), 'line')) as [
    string,
  ];
  const clickhouse = await createClickHouse({ url, application: 'bench' });
  const kafka = new Kafka({
    clientId: 'bench-freshness-ab',
    brokers: started.brokers,
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await migrate(clickhouse);
    const logger = createLogger({ service: 'bench-ingestor', level: 'warn' });
    for (const name of order) {
      const topic = `bench-ab-${randomUUID().slice(0, 8)}`;
      await createTopics(admin, ingestorTopics(topic), 3);
      const config = {
        ...benchIngestorConfig(started.brokers, topic, `bench-ab-${randomUUID()}`),
        ...variants[name],
      };
      const loadBefore = load();
      const cpuBefore = engineCpu(standIn.pid);
      const ownBefore = cpuSeconds();
      const variant = summary.get(name) ?? { delays: [], rounds: [] };
      summary.set(name, variant);
      const onDelays = (ms: number[]) => {
        for (const d of ms) variant.delays.push(d);
      };
      const f = await measureFreshness(
        kafka,
        clickhouse,
        config,
        { logger, onDelays },
        1_000,
        Number(values.seconds),
      );
      variant.rounds.push({ p50: f.p50Ms, p95: f.p95Ms, p99: f.p99Ms });
      console.log(
        JSON.stringify({
          variant: name,
          load: [loadBefore, load()],
          engineCpuS: Math.round((engineCpu(standIn.pid) - cpuBefore) * 100) / 100,
          benchCpuS: Math.round((cpuSeconds() - ownBefore) * 100) / 100,
          p50Ms: f.p50Ms,
          p95Ms: f.p95Ms,
          p99Ms: f.p99Ms,
          maxMs: f.maxMs,
          missing: f.missing,
          toInsertCall: [f.toInsertCall.p50Ms, f.toInsertCall.p99Ms],
          insertCall: [f.insertCall.p50Ms, f.insertCall.p99Ms],
          inserts: f.inserts,
        }),
      );
    }
    for (const [name, v] of summary) {
      const pooled = quantiles(v.delays);
      console.log(
        JSON.stringify({
          variant: name,
          rounds: v.rounds.length,
          roundsMedianMs: {
            p50: median(v.rounds.map((r) => r.p50)),
            p95: median(v.rounds.map((r) => r.p95)),
            p99: median(v.rounds.map((r) => r.p99)),
          },
          pooledMs: { p50: pooled.p50Ms, p95: pooled.p95Ms, p99: pooled.p99Ms, max: pooled.maxMs },
        }),
      );
    }
  } finally {
    await admin.disconnect();
    await clickhouse.close();
  }
} finally {
  standIn.kill('SIGTERM');
  await once(standIn, 'exit');
  await started.stop();
}
