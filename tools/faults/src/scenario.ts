import type { Rng, SimMessage } from '@dossier/simulator';
import type { Judged } from './judge-run.ts';
import type { AllInOne } from './pipeline.ts';

export type Profile = 'short' | 'long';

/**
 * One fault scenario of `npm run faults`: a module exporting a FaultScenario (listed in
 * scenarios/index.ts). It injects its faults into the real pipeline through the context and reports
 * what it found; the suite prints the reports and fails on any loss, double count or KPI difference.
 */
export interface FaultScenario {
  /** kebab-case, used by `--only`. */
  name: string;
  /** One line for the report. */
  description: string;
  /** Fault iterations per profile (0: the scenario does not run in that profile). */
  iterations: Record<Profile, number>;
  run(context: ScenarioContext): Promise<ScenarioReport>;
}

export interface ScenarioReport {
  faultsInjected: number;
  /** The independent count: distinct dossiers whose messages the suite produced. */
  dossiersSent: number;
  /** Distinct dossiers stored (dossiers_v1) after the faults. */
  dossiersStored: number;
  /** Dossiers the uninterrupted run stored and this one did not (must be 0). */
  lost: number;
  /** Dossiers whose stored state differs from the uninterrupted run's (a count added twice, …; must be 0). */
  doubleCounted: number;
  /** kpi_latest rows differing from the uninterrupted run's at the same judged instant (must be 0). */
  kpiValuesDiffering: number;
  /** Anything else worth printing (throughput factors, kill phases, …). */
  details?: Record<string, string | number | boolean>;
  /** What else went wrong (a KPI run that skipped after a restart, …): any makes the scenario fail. */
  problems?: string[];
}

/** The suite's input: one deterministic agency workload, produced once to `topics`. */
export interface SuiteInput {
  topics: { events: string; dvcqg: string; catalog: string };
  messages: readonly SimMessage[];
  /** Dossier codes of every dossier the input carries (each has valid messages; broken copies come on top). */
  dossierCodes: ReadonlySet<string>;
  /** The instant every run's KPIs are judged at when compared (`YYYY-MM-DD HH:MM:SS.mmm` UTC). */
  judgeAt: string;
}

export interface ScenarioContext {
  profile: Profile;
  /** The suite's seed; `rng` is seeded from it and the scenario's name. */
  seed: string;
  rng: Rng;
  iterations: number;
  input: SuiteInput;
  brokers: string[];
  redisUrl: string;
  /** A fresh directory for this scenario (removed afterwards). */
  workDir: string;
  log(message: string): void;
  /**
   * A pipeline run: `npm start`'s process (its own process group) over the suite's Kafka and Redis, no
   * simulator, on a data directory, consumer group and queue of its own (kept across its restarts),
   * reading `topics` (default: the suite's input) from `brokers` (default: the suite's Kafka).
   */
  newRun(
    label: string,
    options?: { topics?: SuiteInput['topics']; brokers?: string[] },
  ): Promise<PipelineRun>;
  /** Compares a judged run with the uninterrupted run on the same input (run once per suite, on demand). */
  compare(judged: Judged): Promise<
    Omit<ScenarioReport, 'faultsInjected' | 'details' | 'problems'> & {
      kpiSamples: string[];
      schemaDifferences: string[];
    }
  >;
  /** Unique Kafka topic / group names for a scenario's own input. */
  uniqueName(label: string): string;
  /** Creates the topics (3 partitions) and produces the messages, to the suite's Kafka or `brokers`. */
  produce(topics: SuiteInput['topics'], messages: readonly SimMessage[], brokers?: string[]): Promise<void>;
}

/** A pipeline run over one data directory: its consumer group and queue survive its restarts. */
export interface PipelineRun {
  dataDir: string;
  groupId: string;
  /** The all-in-one's environment (topics, group, brokers, Redis, queue prefix) without its ports. */
  env: NodeJS.ProcessEnv;
  start(extraEnv?: NodeJS.ProcessEnv): Promise<AllInOne>;
  /** Waits until the group committed the whole input, then for a KPI cycle after that, and stops it. */
  settle(allInOne: AllInOne): Promise<void>;
  judge(): Promise<Judged>;
}
