// `tsx bench/aggregate.bench.ts [dossiers] [--url chdb:<dir>|http…] [--verify]`: times KPI cycles over a
// history at the city's rate ending now (aggregate-data.ts cityHistory: 10M ≈ 1.4 years, 50M ≈ 7), in
// embedded chDB, with the service's defaults (every scope and period kind, 92-day day horizon) and its memory
// budget (CLICKHOUSE_MEMORY_BUDGET, as npm start applies it: the engine's cap and caches, each statement's
// limit and spill thresholds). Each timed cycle starts once ClickHouse has run no merge for 2 s (the steady
// state of an aggregator cycling every minute); the wait, and the merges that ran during the cycle, are
// reported. With --url pointing at a directory that already holds the history, generation is skipped and the
// KPI state is rebuilt. With --history-dir the history is generated there once at a fixed instant and stored
// rebuilt; each run replays the cycles on a copy (--work-dir) at instants derived from it (aggregate-replay.ts,
// bench/README.md), so two commits compare on one state (aggregate-compare.ts).
// Long file: the result's shape (documented field by field for the JSON's readers), the phases in their order and the
// few helpers only they use read best together.

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClickHouse,
  createClickHouse,
  isEmbeddedUrl,
  MemoryBudgetConfig,
  memoryBudgetOf,
  migrate,
  openEmbeddedEngine,
} from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { shiftMs, verifyKpiState } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import {
  type CycleFigures,
  type CycleTarget,
  cycleTargets,
  lateData,
  nextCityDay,
  nextCityYear,
  type TimedCycle,
  timedCycle,
} from './aggregate-cycles.ts';
import { cityHistory, insertCatalog, insertDossiers, openWriters } from './aggregate-data.ts';
import { commitOf, freshenStamps, prepareReplay, replayEngineArgs } from './aggregate-replay.ts';
import { parseInstant, REPLAY_AT, replayInstants } from './aggregate-replay-plan.ts';
import { describeParts, sampleParts } from './memory-parts.ts';
import { settle } from './merges.ts';
import { type PhaseParts, rssSampler } from './rss.ts';

export interface AggregateBenchmarkOptions {
  dossiers?: number;
  /** Dossiers arriving before the incremental cycle (live) and again before the late-data cycle (old). */
  newDossiers?: number;
  /** As the aggregator's AGGREGATOR_DAY_HORIZON_DAYS (default 92). */
  dayHorizonDays?: number;
  /** `chdb:<dir>` (default: a temp dir, removed afterwards) or an http(s) ClickHouse URL. */
  clickhouseUrl?: string;
  /** Recompute every cell from the facts at the end and count those the increments got wrong. */
  verify?: boolean;
  /** A stored history to replay (generated there first when missing): aggregate-replay.ts. */
  historyDir?: string;
  /** Where a replay copies the history and runs (emptied first, removed after; default a temp dir). */
  workDir?: string;
  /** The history's instant when generating it (default REPLAY_AT); a stored one must stand at it. */
  now?: string;
  log?: (line: string) => void;
}

export interface AggregateBenchmarkResult {
  dossiers: number;
  /** Dossiers written per second by the generator (bench/aggregate-data.ts), and its CPU seconds. */
  dossiersPerSecondGenerated: number;
  eventsPerSecondGenerated: number;
  generateSeconds: number;
  generateCpuSeconds: number;
  /** Peak resident memory of this process (it holds the embedded engine) in each phase, MiB. */
  peakRssMb: Record<string, number>;
  /**
   * What takes the resident memory in each phase (bench/memory-parts.ts), MiB: the parts of the sample
   * (one a second, beside the 100 ms peak) with the phase's highest resident set; the engine's parts come
   * from its system tables (embedded engine only).
   */
  rssParts: Record<string, PhaseParts>;
  /** The budget every statement and the engine ran under (CLICKHOUSE_MEMORY_BUDGET), bytes. */
  memoryBudgetBytes: number;
  /** Bytes on disk of every active part after the run, per dossier, in all and for the largest tables. */
  diskBytesPerDossier: { total: number; byTable: Record<string, number> };
  /** A phase that failed: its name, the error, and the statement (text) that was running. */
  failure?: { phase: string; error: string; statement?: string };
  loadAverage: number[];
  /** First cycle: every dossier's facts built and every period of every kind computed. */
  fullCycle: CycleFigures;
  /** Nothing new since the last cycle: only the current periods are recomputed. */
  idleCycle: CycleFigures;
  /** After `newDossiers` arrive for the last hour (live traffic). */
  incrementalCycle: CycleFigures;
  /** After `newDossiers` arrive late: over a 10M history's time up to two weeks ago (aggregate-cycles.ts lateData). */
  lateDataCycle: CycleFigures;
  /** Nothing new, first cycle of the next city day: every open dossier's day row settles. */
  dayRolloverCycle: CycleFigures;
  /** Nothing new, the aggregator stopped until two minutes before the next new year: weeks of days settle. */
  catchUpCycle: CycleFigures;
  /** Nothing new, first cycle of the new year: day, month, quarter and year rows of every open dossier settle. */
  yearRolloverCycle: CycleFigures;
  /**
   * The raw limit a non-incremental cycle cannot beat, measured in the same run: one read of every
   * dossier's KPI facts (seconds), and each timed cycle as a ratio to it.
   */
  rawFactsReadSeconds: number;
  ratiosToRawFactsRead: Record<string, number>;
  /** Each timed cycle kind against its target (aggregate-cycles.ts): met, or missed by how many seconds. */
  targets: Record<TimedCycle, CycleTarget>;
  /** The Decision 766 index's share of each cycle (fingerprint, statement, write) and its ratio to rawFactsReadSeconds. */
  index766: Record<string, { seconds: number; statementRan: boolean; ratioToRawFactsRead: number }>;
  /** Open dossiers (judged at every cycle's instant) and cells at the end. */
  openDossiers: number;
  cells: number;
  verification?: { seconds: number; cellsDiffering: Record<string, number>; openFactsDiffering: number };
  newDossiers: number;
  dayHorizonDays: number;
  /**
   * A replay of a stored history (--history-dir): this checkout's commit and the history's, its instant
   * (every cycle's is derived from it), whether this run generated it and in how long (wall, rebuild
   * included), the copy's seconds, and the seconds and shift of moving its server-clock stamps forward.
   * generateSeconds and fullCycle are then the history's, from its manifest.
   */
  replay?: {
    historyDir: string;
    commit: string;
    historyCommit: string;
    now: string;
    generated: boolean;
    generationWallSeconds?: number;
    copySeconds: number;
    freshenSeconds: number;
    shiftSeconds: number;
    /** The untimed cycle run before the idle one (ReplayInstants.warm): its wall seconds. */
    warmCycleSeconds?: number;
  };
}

export async function runAggregateBenchmark(
  options: AggregateBenchmarkOptions = {},
): Promise<AggregateBenchmarkResult> {
  const dossiers = options.dossiers ?? 10_000_000;
  const newDossiers = options.newDossiers ?? 1_000;
  const dayHorizonDays = options.dayHorizonDays ?? 92;
  const history = cityHistory(dossiers, Date.now());
  const log = options.log ?? ((line: string) => console.error(line));
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  const workDir = options.workDir ?? join(tmpdir(), `dossier-bench-agg-replay-${process.pid}`);
  if (options.historyDir && options.clickhouseUrl) throw new Error('--history-dir replays on chDB: no --url');
  const replay = options.historyDir
    ? await prepareReplay({
        ...options,
        historyDir: options.historyDir,
        workDir,
        dossiers,
        defaultNow: REPLAY_AT,
        log,
      })
    : undefined;
  // Every cycle's instant and arrivals from the history's (replay); else the wall clock's, as they run.
  const at = replay && replayInstants(replay.manifest.now, dossiers);
  const dir = replay
    ? workDir
    : options.clickhouseUrl
      ? undefined
      : await mkdtemp(join(tmpdir(), 'dossier-bench-agg-'));
  const client = await createClickHouse({
    url: options.clickhouseUrl ?? `chdb:${dir}`,
    application: 'bench',
    settings: budget.pipelineSettings,
    engineArgs: [...budget.engineArgs, ...(replay ? await replayEngineArgs(workDir) : [])],
  });
  const { clickhouse, running } = recordingStatements(client);
  const url = options.clickhouseUrl ?? `chdb:${dir}`;
  // A session of its own: it reads the engine's accounting while the pipeline's statement runs.
  const sampling = isEmbeddedUrl(url) ? (await openEmbeddedEngine(url)).openSession() : undefined;
  const rss = rssSampler(undefined, () => sampleParts(sampling));
  const result: Partial<AggregateBenchmarkResult> = {
    dossiers,
    newDossiers,
    dayHorizonDays,
    memoryBudgetBytes: budget.totalBytes,
  };
  let phase = 'migrate';
  const enter = (name: string) => {
    phase = name;
    rss.phase(name);
  };
  try {
    if (replay) {
      enter('freshen');
      const { seconds, shiftSeconds } = await freshenStamps(clickhouse, replay.manifest);
      const { manifest } = replay;
      result.replay = {
        historyDir: options.historyDir ?? '',
        commit: commitOf(),
        historyCommit: manifest.commit,
        now: manifest.now,
        generated: replay.generated,
        generationWallSeconds: replay.generationWallSeconds,
        copySeconds: replay.copySeconds,
        freshenSeconds: seconds,
        shiftSeconds,
      };
      log(`[bench:aggregate] stamps moved ${shiftSeconds} s forward in ${seconds} s`);
    }
    await migrate(clickhouse);
    enter('generate');
    const began = performance.now();
    const cpu = process.cpuUsage();
    const existing = await countRows(clickhouse, 'dossier_events_v1');
    if (replay) {
      // Generated and rebuilt with the history: its generation figures come from the manifest (below).
      result.fullCycle = replay.manifest.fullCycle as CycleFigures;
    } else if (existing > 0) {
      log(`[bench:aggregate] reusing ${existing} events; rebuilding the KPI state`);
      await clickhouse.command({ query: 'TRUNCATE TABLE kpi_cycles_v1' });
    } else {
      await insertCatalog(clickhouse);
      let reported = 0;
      const writers = await openWriters(options.clickhouseUrl ?? `chdb:${dir}`, budget.pipelineSettings); // sessions of their own: at once
      await insertDossiers(clickhouse, {
        first: 0,
        count: dossiers,
        ...history,
        writers,
        onSlice: (written) => {
          if (written - reported < 5_000_000 && written < dossiers) return;
          reported = written;
          const seconds = (performance.now() - began) / 1000;
          log(`[bench:aggregate] generated ${written} dossiers (${Math.round(written / seconds)}/s)`);
        },
      }).finally(() => Promise.all(writers.map((writer) => writer.close())));
    }
    const generateSeconds = replay ? replay.manifest.generateSeconds : (performance.now() - began) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const events = await countRows(clickhouse, 'dossier_events_v1');
    Object.assign(result, {
      generateSeconds: round(generateSeconds),
      generateCpuSeconds: replay ? replay.manifest.generateCpuSeconds : round((user + system) / 1e6),
      dossiersPerSecondGenerated:
        existing > 0 && !replay ? undefined : Math.round(dossiers / generateSeconds),
      eventsPerSecondGenerated: Math.round(events / generateSeconds),
    });
    const cycle = async (name: keyof AggregateBenchmarkResult, label: string, now?: string) => {
      enter(label);
      const figures = await timedCycle(clickhouse, dayHorizonDays, now);
      log(
        `[bench:aggregate] ${label} cycle ${figures.seconds.toFixed(2)} s (cpu ${figures.cpuSeconds.toFixed(2)} s, settled ${figures.settleSeconds.toFixed(1)} s before, ${figures.merges.count} merges during; Decision 766 ${figures.index766Seconds.toFixed(2)} s, statement ${figures.index766StatementRan ? 'ran' : 'skipped'})`,
      );
      Object.assign(result, { [name]: figures });
      return figures;
    };

    const fullCycle = replay
      ? (replay.manifest.fullCycle as CycleFigures)
      : await cycle('fullCycle', 'rebuild');
    if (at && result.replay) {
      enter('warm');
      const warm = await timedCycle(clickhouse, dayHorizonDays, at.warm);
      result.replay.warmCycleSeconds = warm.seconds;
      log(`[bench:aggregate] warm cycle (untimed) ${warm.seconds.toFixed(2)} s`);
    }
    const idleCycle = await cycle('idleCycle', 'idle', at?.idle);
    enter('arrivals');
    await insertDossiers(clickhouse, {
      first: dossiers,
      count: newDossiers,
      ...(at?.incremental.arrivals ?? { startAt: formatUtc(Date.now() - 3_600_000), spanSeconds: 3_000 }),
      prefix: 'N',
    });
    const incrementalCycle = await cycle('incrementalCycle', 'incremental', at?.incremental.at);
    enter('arrivals');
    await insertDossiers(clickhouse, {
      first: dossiers + newDossiers,
      count: newDossiers,
      ...(at?.lateData.arrivals ?? lateData(history)),
      prefix: 'L',
    });
    const lateDataCycle = await cycle('lateDataCycle', 'late-data', at?.lateData.at);
    const dayRollover = at?.dayRollover ?? nextCityDay(new Date());
    const dayRolloverCycle = await cycle('dayRolloverCycle', 'day-rollover', dayRollover);
    const newYear = at?.yearRollover ?? nextCityYear(new Date());
    const catchUpCycle = await cycle('catchUpCycle', 'catch-up', at?.catchUp ?? shiftMs(newYear, -180_000));
    const yearRolloverCycle = await cycle('yearRolloverCycle', 'year-rollover', newYear);
    enter('raw-facts-read');
    const rawFactsReadSeconds = await rawFactsRead(clickhouse);
    const timed = {
      idleCycle,
      incrementalCycle,
      lateDataCycle,
      dayRolloverCycle,
      catchUpCycle,
      yearRolloverCycle,
    };
    result.rawFactsReadSeconds = rawFactsReadSeconds;
    result.targets = cycleTargets(timed, dossiers);
    result.ratiosToRawFactsRead = Object.fromEntries(
      Object.entries(timed).map(([name, figures]) => [name, round(figures.seconds / rawFactsReadSeconds)]),
    );
    result.index766 = Object.fromEntries(
      Object.entries({ fullCycle, ...timed }).map(([name, f]) => [
        name,
        {
          seconds: f.index766Seconds,
          statementRan: f.index766StatementRan,
          ratioToRawFactsRead: round(f.index766Seconds / rawFactsReadSeconds),
        },
      ]),
    );
    log(`[bench:aggregate] one read of every dossier's facts ${rawFactsReadSeconds} s`);
    result.openDossiers = await countRows(clickhouse, 'kpi_open_facts_v1');
    result.cells = await countRows(clickhouse, 'kpi_cells_v1');
    if (options.verify) {
      enter('verify');
      const started = performance.now();
      const check = await verifyKpiState(clickhouse, { dayHorizonDays });
      result.verification = { seconds: round((performance.now() - started) / 1000), ...check };
      log(`[bench:aggregate] verification ${JSON.stringify(result.verification)}`);
    }
  } catch (err) {
    // A statement over the budget is a finding, not a crash of the benchmark: report what ran and what failed.
    result.failure = {
      phase,
      error: err instanceof Error ? err.message : String(err),
      statement: running()?.replace(/\s+/g, ' ').slice(0, 2_000),
    };
    log(`[bench:aggregate] ${phase} failed: ${result.failure.error}`);
  } finally {
    result.peakRssMb = rss.stop();
    result.rssParts = await rss.parts();
    for (const [name, parts] of Object.entries(result.rssParts)) {
      log(
        `[bench:aggregate] rss ${name}: peak ${result.peakRssMb[name]} MiB; ${describeParts(parts.atPeak)}`,
      );
    }
    sampling?.close();
    try {
      result.diskBytesPerDossier = await diskPerDossier(clickhouse, dossiers);
    } finally {
      await clickhouse.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
  result.loadAverage = loadavg().map((l) => round(l));
  return result as AggregateBenchmarkResult;
}

/** The client, and the text of the statement it is running (the last one started and not yet settled). */
function recordingStatements(client: ClickHouse): {
  clickhouse: ClickHouse;
  running: () => string | undefined;
} {
  let current: string | undefined;
  const track =
    <P extends { query?: string; table?: string }, R>(call: (params: P) => Promise<R>) =>
    async (params: P): Promise<R> => {
      current = params.query ?? `INSERT INTO ${params.table}`;
      const result = await call(params);
      current = undefined;
      return result;
    };
  const clickhouse = Object.create(client) as ClickHouse;
  clickhouse.query = track(client.query.bind(client)) as ClickHouse['query'];
  clickhouse.command = track(client.command.bind(client));
  clickhouse.insert = track(client.insert.bind(client)) as ClickHouse['insert'];
  clickhouse.exec = track(client.exec.bind(client));
  return { clickhouse, running: () => current };
}

/** Active parts' bytes on disk per dossier: in all, and for each table holding at least 1% of it. */
async function diskPerDossier(
  clickhouse: ClickHouse,
  dossiers: number,
): Promise<AggregateBenchmarkResult['diskBytesPerDossier']> {
  const result = await clickhouse.query({
    query: `SELECT table, sum(bytes_on_disk) AS bytes FROM system.parts
      WHERE active AND database = currentDatabase() GROUP BY table ORDER BY bytes DESC`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ table: string; bytes: string | number }>();
  const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0);
  return {
    total: round(total / dossiers),
    byTable: Object.fromEntries(
      rows
        .filter((r) => Number(r.bytes) >= total / 100)
        .map((r) => [r.table, round(Number(r.bytes) / dossiers)]),
    ),
  };
}

/** Seconds to read every dossier's facts once (the latest version of each), the best of three. */
async function rawFactsRead(clickhouse: ClickHouse): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    await settle(clickhouse);
    const began = performance.now();
    const result = await clickhouse.query({
      query: `SELECT count(), sum(cityHash64(dossier_code, agency_code, procedure_code, start_at, finished_at))
        FROM kpi_dossier_facts_v1 FINAL`,
      format: 'JSONEachRow',
    });
    await result.json();
    best = Math.min(best, (performance.now() - began) / 1000);
  }
  return round(best);
}

async function countRows(
  clickhouse: ClickHouse,
  table: 'dossier_events_v1' | 'kpi_open_facts_v1' | 'kpi_cells_v1',
): Promise<number> {
  const result = await clickhouse.query({
    query: `SELECT count() AS n FROM ${table}${table === 'kpi_open_facts_v1' ? ' FINAL' : ''}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      verify: { type: 'boolean', default: false },
      'history-dir': { type: 'string' },
      'work-dir': { type: 'string' },
      now: { type: 'string' },
    },
  });
  const dossiers = Number(positionals[0] ?? 10_000_000);
  const result = await runAggregateBenchmark({
    dossiers,
    clickhouseUrl: values.url,
    verify: values.verify,
    historyDir: values['history-dir'],
    workDir: values['work-dir'],
    now: values.now === undefined ? undefined : parseInstant(values.now),
  });
  console.log(JSON.stringify(result, null, 2));
}
