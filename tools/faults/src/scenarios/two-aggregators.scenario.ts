import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTopology, type ServiceProcess } from '../../../../test/deploy/topology.ts';
import { startClickHouseHttpStandIn } from '../../../../test/support/clickhouse-http-standin.ts';
import { caughtUp, type LogLine } from '../pipeline.ts';
import type { FaultScenario } from '../scenario.ts';

/** Over HTTP a cycle takes seconds (the stand-in runs one statement at a time): the topology test's interval. */
const INTERVAL_S = 8;
/** Kills aimed at a run that already ended are not kills mid-cycle: another run is tried, this many times. */
const ATTEMPTS_PER_KILL = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timeOf = (line: LogLine) => (typeof line.time === 'number' ? line.time : Date.parse(String(line.time)));
const ended = (p: ServiceProcess, runId: unknown) =>
  p.lines.some((l) => l.runId === runId && (l.msg === 'kpi cycle done' || l.msg === 'kpi job failed'));

/** The variables that make a run's names its own (topics, group, queue prefix, keys), from newRun's env. */
const NAMES = [
  'TOPIC_EVENTS',
  'TOPIC_DVCQG',
  'TOPIC_CATALOG',
  'TOPIC_DEAD_LETTER',
  'KAFKA_GROUP_ID',
  'AGGREGATOR_PREFIX',
  'APPLICANT_HASH_KEY',
  'DEAD_LETTER_KEY',
] as const;

/**
 * The distributed mode, as test/deploy/topology.int.test.ts runs it: migrator, an ingestor and two
 * aggregators as separate processes over ClickHouse's HTTP interface (the chDB-backed stand-in fixture,
 * in the suite's process). Whichever aggregator takes a KPI run is SIGKILLed while it runs, at a random
 * moment; the other must start a run that computes within two intervals of the kill, and a replacement
 * instance is started before the next kill. No BullMQ job may be started by two live instances (a lost
 * job lock lets the stalled-job check hand a running job to the other instance: a double run). The
 * stored dossiers and KPI values are judged against the uninterrupted embedded run.
 */
export const twoAggregators: FaultScenario = {
  name: 'two-aggregators',
  description: 'two aggregator instances over one ClickHouse (HTTP), one SIGKILLed mid-cycle',
  iterations: { short: 1, long: 4 },
  async run(context) {
    const run = await context.newRun('two-aggregators');
    const standIn = await startClickHouseHttpStandIn({ dataDir: join(run.dataDir, 'clickhouse') });
    const names = Object.fromEntries(NAMES.map((n) => [n, String(run.env[n])]));
    const topology = await createTopology({
      brokers: context.brokers,
      redisUrl: context.redisUrl,
      clickhouseUrl: standIn.url,
      names: { ...names, AGGREGATOR_INTERVAL_SECONDS: String(INTERVAL_S), LOG_LEVEL: 'debug' },
    });
    const problems: string[] = [];
    const takeoverSeconds: number[] = [];
    const killed = new Map<ServiceProcess, { runId: unknown; at: number }>();
    let instances = 0;
    const startAggregator = () => topology.start('aggregator', `aggregator-${++instances}`);
    const aggregators = () => topology.running().filter((p) => p.role === 'aggregator');
    try {
      await topology.migrate();
      await topology.start('ingestor');
      await Promise.all([startAggregator(), startAggregator()]);
      // The first generation (a rebuild) done, so that kills land in the cycles after it.
      await Promise.race(aggregators().map((p) => p.waitForLine((l) => l.msg === 'kpi cycle done')));
      for (let i = 0; i < context.iterations; i++) {
        let victim: ServiceProcess | undefined;
        for (let attempt = 0; attempt < ATTEMPTS_PER_KILL && !victim; attempt++) {
          const pair = aggregators();
          const marks = pair.map((p) => p.lines.length);
          const [candidate, started] = await Promise.race(
            pair.map((p, k) =>
              p.waitForLine((l) => l.msg === 'kpi job started', marks[k]).then((l) => [p, l] as const),
            ),
          );
          await sleep(context.rng.uniform(0, 2_000));
          if (!ended(candidate, started.runId)) {
            victim = candidate;
            await victim.kill();
            killed.set(victim, { runId: started.runId, at: Date.now() });
          }
        }
        if (!victim) throw new Error(`no KPI run lasted long enough to be killed mid-cycle`);
        const killedAt = killed.get(victim)!.at;
        const survivor = aggregators()[0]!;
        const from = survivor.lines.length;
        const done = await survivor.waitForLine(
          (l) => l.msg === 'kpi cycle done' && l.mode !== 'skipped',
          from,
        );
        const started = survivor.lines.find((l) => l.msg === 'kpi job started' && l.runId === done.runId);
        const seconds = started ? (timeOf(started) - killedAt) / 1000 : Number.NaN;
        takeoverSeconds.push(seconds);
        if (!(seconds <= 2 * INTERVAL_S))
          problems.push(
            `kill ${i + 1}: the survivor's computing run started ${seconds.toFixed(1)} s after it`,
          );
        context.log(
          `kill ${i + 1}: ${victim.name} killed, ${survivor.name} computed from ${seconds.toFixed(1)} s`,
        );
        await startAggregator();
      }
      // Caught up, then a cycle after that, then stopped as compose stops them.
      const topics = Object.values(context.input.topics);
      const kafka = new Kafka({
        clientId: 'fault-suite',
        brokers: context.brokers,
        logLevel: logLevel.NOTHING,
      });
      while (!(await caughtUp(kafka, run.groupId, topics).catch(() => false))) await sleep(1_000);
      const marks = aggregators().map((p) => p.lines.length);
      await Promise.race(
        aggregators().map((p, k) =>
          p.waitForLine((l) => l.msg === 'kpi cycle done' && l.mode !== 'skipped', marks[k]),
        ),
      );
      const codes = await topology.stopAll();
      for (const [name, code] of Object.entries(codes))
        if (code !== 0) problems.push(`${name} stopped with exit code ${code}`);
      problems.push(...doubleRuns(topology.processes, killed));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${topology.logs()}`);
    } finally {
      await topology.killAll();
      await standIn.stop();
    }
    const judged = await run.judge();
    const { kpiSamples, schemaDifferences, ...counts } = await context.compare(judged);
    return {
      faultsInjected: killed.size,
      ...counts,
      details: {
        'aggregator instances': instances,
        'survivor computing after (s)': takeoverSeconds.map((s) => s.toFixed(1)).join(' '),
      },
      problems: [
        ...problems,
        ...(judged.cycle.mode === 'skipped' ? [`the judge's KPI run stood aside`] : []),
        ...kpiSamples.map((s) => `KPI ${s}`),
        ...schemaDifferences.map((s) => `schema ${s}`),
      ],
    };
  },
};

/**
 * BullMQ jobs started by two instances while the first was alive. The killed instance's job taken over
 * by another is the expected recovery, not a double run.
 */
function doubleRuns(
  processes: readonly ServiceProcess[],
  killed: ReadonlyMap<ServiceProcess, { runId: unknown; at: number }>,
): string[] {
  const starts = new Map<string, { process: ServiceProcess; line: LogLine }[]>();
  for (const process of processes.filter((p) => p.role === 'aggregator')) {
    for (const line of process.lines.filter((l) => l.msg === 'kpi job started')) {
      const id = String(line.jobId);
      starts.set(id, [...(starts.get(id) ?? []), { process, line }]);
    }
  }
  const found: string[] = [];
  for (const [id, list] of starts) {
    const sorted = list.sort((a, b) => timeOf(a.line) - timeOf(b.line));
    for (let k = 1; k < sorted.length; k++) {
      const first = sorted[k - 1]!;
      const death = killed.get(first.process);
      if (death?.runId === first.line.runId) continue;
      if (sorted[k]!.process === first.process) continue;
      const apart = (timeOf(sorted[k]!.line) - timeOf(first.line)) / 1000;
      found.push(
        `job ${id} started by ${first.process.name} and again by ${sorted[k]!.process.name} ${apart.toFixed(1)} s later, the first alive`,
      );
    }
  }
  return found;
}
