import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsWithLeaders } from '@dossier/observability';
import { connectProducer, createRng, type SimMessage } from '@dossier/simulator';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from '../../../test/support/free-port.ts';
import { deleteKeysMatching } from '../../../test/support/redis-keys.ts';
import { startKafka } from '../../../test/support/start-kafka.ts';
import { buildInput } from './input.ts';
import { compareJudged, type Judged, judge } from './judge-run.ts';
import { type AllInOne, caughtUp, startAllInOne } from './pipeline.ts';
import type {
  FaultScenario,
  PipelineRun,
  Profile,
  ScenarioContext,
  ScenarioReport,
  SuiteInput,
} from './scenario.ts';

export interface SuiteOptions {
  profile: Profile;
  seed: string;
  scenarios: readonly FaultScenario[];
  /** Kafka to use (default: KAFKA_BROKERS, else a native broker the suite starts and stops). */
  brokers?: string[];
  redisUrl?: string;
  /** Overrides every scenario's iterations for the profile (`--iterations`: e.g. one round of each kill point). */
  iterations?: number;
  log?: (message: string) => void;
}

export interface ScenarioOutcome {
  scenario: string;
  report?: ScenarioReport;
  error?: string;
  seconds: number;
}

/** Dossiers of the suite's input per profile: a few thousand messages short, tens of thousands long. */
const DOSSIERS: Record<Profile, number> = { short: 400, long: 4_000 };
/** The all-in-one's KPI interval in the suite: short, so that cycles (and kills during them) are frequent. */
export const SUITE_INTERVAL_SECONDS = 4;
/** How long a stopped all-in-one may take to stop cleanly (its own default is 40 s). */
export const SHUTDOWN_TIMEOUT_MS = 300_000;
/** Same key for every run: the applicant hash is part of a stored dossier's state. */
const APPLICANT_HASH_KEY = 'fault-suite-applicant-hash-key-0001';
/** Same dead-letter key for every run, so a scenario that runs the ingestor in the suite's process has one too. */
const DEAD_LETTER_KEY = 'fa'.repeat(32);

export async function runSuite(options: SuiteOptions): Promise<ScenarioOutcome[]> {
  const log = options.log ?? ((m: string) => console.log(m));
  const root = await mkdtemp(join(tmpdir(), 'dossier-faults-'));
  const kafkaProvided = options.brokers ?? process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim());
  const started = kafkaProvided ? undefined : await startKafka({ fastStart: true });
  const brokers = kafkaProvided ?? started?.brokers ?? [];
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const kafka = new Kafka({ clientId: 'fault-suite', brokers, logLevel: logLevel.NOTHING });
  const suffix = randomBytes(4).toString('hex');
  const uniqueName = (label: string) =>
    `faults-${label}-${process.pid}-${suffix}-${randomBytes(3).toString('hex')}`;
  try {
    const built = buildInput({
      seed: options.seed,
      dossiers: DOSSIERS[options.profile],
      startedAt: Date.now(),
    });
    const topics = {
      events: uniqueName('events'),
      dvcqg: uniqueName('dvcqg'),
      catalog: uniqueName('catalog'),
    };
    const clientOf = (b?: string[]) =>
      b ? new Kafka({ clientId: 'fault-suite', brokers: b, logLevel: logLevel.NOTHING }) : kafka;
    const produce = async (t: SuiteInput['topics'], messages: readonly SimMessage[], b?: string[]) => {
      const client = clientOf(b);
      const admin = client.admin();
      await admin.connect();
      try {
        await createTopicsWithLeaders(
          admin,
          Object.values(t).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
        );
      } finally {
        await admin.disconnect();
      }
      const producer = await connectProducer(client, t);
      try {
        for (let i = 0; i < messages.length; i += 5_000) await producer.send(messages.slice(i, i + 5_000));
      } finally {
        await producer.disconnect();
      }
    };
    await produce(topics, built.messages);
    const input: SuiteInput = { topics, ...built };
    log(
      `fault suite: profile ${options.profile}, seed ${options.seed} (replay: npm run faults -- --profile ${options.profile} --seed ${options.seed}); ` +
        `${built.messages.length} messages, ${built.dossierCodes.size} dossiers; KPIs judged at ${built.judgeAt}`,
    );

    const newRun = async (
      label: string,
      options: { topics?: SuiteInput['topics']; brokers?: string[] } = {},
    ): Promise<PipelineRun> => {
      const runTopics = options.topics ?? topics;
      const runBrokers = options.brokers ?? brokers;
      const runKafka = clientOf(options.brokers);
      const dataDir = join(root, uniqueName(label));
      await mkdir(dataDir, { recursive: true });
      const groupId = uniqueName(`${label}-group`);
      const base = runEnvironment(process.env, {
        brokers: runBrokers,
        redisUrl,
        topics: runTopics,
        deadLetterTopic: uniqueName(`${label}-dead-letter`),
        groupId,
        queuePrefix: `faults:${uniqueName(label)}`,
      });
      return {
        dataDir,
        groupId,
        env: base,
        async start(extraEnv = {}) {
          const [monitorPort, analystsPort] = await freePorts(2);
          return startAllInOne({
            dataDir,
            env: {
              ...base,
              MONITOR_PORT: String(monitorPort),
              ANALYSTS_PORT: String(analystsPort),
              ...extraEnv,
            },
          });
        },
        async settle(allInOne) {
          const names = Object.values(runTopics);
          for (;;) {
            if (await caughtUp(runKafka, groupId, names).catch(() => false)) break;
            await Promise.race([new Promise((r) => setTimeout(r, 500)), allInOne.exited]);
            if (allInOne.child.exitCode !== null)
              throw new Error(`all-in-one exited:\n${allInOne.output().slice(-3000)}`);
          }
          await allInOne.waitForLine((l) => l.msg === 'kpi cycle done', allInOne.lines.length);
          await stopCleanly(allInOne);
        },
        judge: () => judge(dataDir, input.judgeAt),
      };
    };

    let reference: Promise<Judged> | undefined;
    const uninterrupted = () => {
      reference ??= (async () => {
        log('  uninterrupted run (the reference every scenario is compared with)');
        const run = await newRun('reference');
        await run.settle(await run.start());
        return run.judge();
      })();
      return reference;
    };

    const outcomes: ScenarioOutcome[] = [];
    for (const scenario of options.scenarios) {
      const iterations = options.iterations ?? scenario.iterations[options.profile];
      if (iterations === 0) continue;
      const began = Date.now();
      const workDir = join(root, uniqueName(scenario.name));
      await mkdir(workDir, { recursive: true });
      log(`- ${scenario.name}: ${scenario.description} (${iterations} iterations)`);
      const context: ScenarioContext = {
        profile: options.profile,
        seed: options.seed,
        rng: createRng(`${options.seed}:${scenario.name}`),
        iterations,
        input,
        brokers,
        redisUrl,
        workDir,
        log: (m) => log(`    ${m}`),
        newRun,
        compare: async (judged) => compareJudged(judged, await uninterrupted(), input.dossierCodes),
        uniqueName,
        produce,
      };
      try {
        const report = await scenario.run(context);
        outcomes.push({ scenario: scenario.name, report, seconds: (Date.now() - began) / 1000 });
      } catch (err) {
        outcomes.push({
          scenario: scenario.name,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          seconds: (Date.now() - began) / 1000,
        });
      }
      log(formatOutcome(outcomes.at(-1)!));
    }
    return outcomes;
  } finally {
    await started?.stop();
    // Every run's BullMQ keys (queue, repeat, job and lock keys under its prefix) on the shared Redis.
    await deleteKeysMatching(redisUrl, `faults:faults-*-${process.pid}-${suffix}-*`).catch((err) =>
      log(`queue keys not deleted: ${err instanceof Error ? err.message : String(err)}`),
    );
    if (process.env.FAULTS_KEEP) log(`work directory kept: ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

/** What one run is: its input, the group, dead-letter topic and queue prefix of its own. */
export interface RunNames {
  brokers: readonly string[];
  redisUrl: string;
  topics: SuiteInput['topics'];
  deadLetterTopic: string;
  groupId: string;
  queuePrefix: string;
}

/**
 * The all-in-one's environment for every run of the suite (the uninterrupted reference's too), without
 * its ports (each start gets free ones): `inherited` (the suite's environment) with the run's names, the
 * suite's interval and keys, and its shutdown deadline; no CLICKHOUSE_URL (embedded, in its data dir).
 */
export function runEnvironment(inherited: NodeJS.ProcessEnv, run: RunNames): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    KAFKA_BROKERS: run.brokers.join(','),
    REDIS_URL: run.redisUrl,
    SIMULATOR: 'false',
    TOPIC_EVENTS: run.topics.events,
    TOPIC_DVCQG: run.topics.dvcqg,
    TOPIC_CATALOG: run.topics.catalog,
    TOPIC_DEAD_LETTER: run.deadLetterTopic,
    KAFKA_GROUP_ID: run.groupId,
    AGGREGATOR_PREFIX: run.queuePrefix,
    AGGREGATOR_INTERVAL_SECONDS: String(SUITE_INTERVAL_SECONDS),
    APPLICANT_HASH_KEY,
    DEAD_LETTER_KEY,
    MONITOR_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // A stop lets a KPI generation already claimed finish (packages/kpi statements.ts, withSignal):
    // the suite's 4 s interval starts one right after the cycle settle waits for, and on a loaded
    // 2-core machine the reference's (2,681 periods, the catalog's history) outlasted the default
    // 40 s, so the clean stop the suite requires ended in `shutdown deadline passed`, exit 1.
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
  delete env.CLICKHOUSE_URL;
  return env;
}

/**
 * Stops a settled run (SIGTERM) and requires a clean stop: exit 0. A stop past the shutdown deadline
 * (exit 1, `shutdown deadline passed`) or any other exit fails the run, the reference's included.
 */
export async function stopCleanly(allInOne: Pick<AllInOne, 'stop' | 'output'>): Promise<void> {
  const code = await allInOne.stop();
  if (code !== 0) throw new Error(`all-in-one stopped with ${code}:\n${allInOne.output().slice(-3000)}`);
}

/** A scenario passed: it ran, lost nothing, counted nothing twice, and its KPIs equal the reference's. */
export function passed(outcome: ScenarioOutcome): boolean {
  const r = outcome.report;
  return (
    !!r &&
    r.lost === 0 &&
    r.doubleCounted === 0 &&
    r.kpiValuesDiffering === 0 &&
    (r.problems ?? []).length === 0
  );
}

export function formatOutcome(o: ScenarioOutcome): string {
  if (!o.report)
    return [
      `  ${o.scenario}: FAILED to run after ${o.seconds.toFixed(0)} s`,
      // The same counts line as every scenario's, unknown: nothing was judged.
      '    faults injected ?, dossiers sent ?, stored ?, lost ?, double-counted ?, KPI values differing ? (not judged)',
      `${o.error}`,
    ].join('\n');
  const r = o.report;
  const details = Object.entries(r.details ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `  ${o.scenario}: ${passed(o) ? 'ok' : 'FAILED'} in ${o.seconds.toFixed(0)} s`,
    `    faults injected ${r.faultsInjected}, dossiers sent ${r.dossiersSent}, stored ${r.dossiersStored}, ` +
      `lost ${r.lost}, double-counted ${r.doubleCounted}, KPI values differing ${r.kpiValuesDiffering}`,
    ...(details ? [`    ${details}`] : []),
    ...(r.problems ?? []).map((p) => `    problem: ${p}`),
  ].join('\n');
}
