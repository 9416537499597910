// The timed KPI cycle kinds of bench/aggregate.bench.ts: the instants some of them are judged at, the late
// data's receipts, and the targets each is held to.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { PERIOD_KINDS, periodStartOf, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { CITY_DOSSIERS_PER_YEAR } from './aggregate-data.ts';
import { type MergeCounters, mergeCounters, settle } from './merges.ts';

/**
 * Seconds each cycle kind may take at 10M dossiers on this machine kind: idle and incremental as the
 * last release's aggregate figures (#12), every kind within 2 s (#15).
 */
export const CYCLE_TARGET_SECONDS = {
  idleCycle: 0.6,
  incrementalCycle: 1,
  lateDataCycle: 2,
  dayRolloverCycle: 2,
  catchUpCycle: 2,
  yearRolloverCycle: 2,
} as const;

export type TimedCycle = keyof typeof CYCLE_TARGET_SECONDS;

export interface CycleTarget {
  targetSeconds: number;
  seconds: number;
  /** The embedded engine's and the bench's CPU seconds: wall time on a shared machine counts others' work. */
  cpuSeconds: number;
  met: boolean;
  /** Seconds over the target (0 when met). */
  missedBySeconds: number;
  /** The targets hold at 10M dossiers; a smaller run's verdict only indicates. */
  atTargetScale: boolean;
  /**
   * The cycle had nothing to count or judge anew and recomputed nothing (kpi-cycle.ts quietCycle): an idle
   * cycle is quiet only when no open dossier's due time (or other turning instant) passed since the last.
   */
  quiet: boolean;
}

export function cycleTargets(
  timed: Record<TimedCycle, { seconds: number; cpuSeconds: number; periodsRecomputed: number; mode: string }>,
  dossiers: number,
): Record<TimedCycle, CycleTarget> {
  const entries = (Object.keys(CYCLE_TARGET_SECONDS) as TimedCycle[]).map((name) => {
    const targetSeconds = CYCLE_TARGET_SECONDS[name];
    const { seconds, cpuSeconds, periodsRecomputed, mode } = timed[name];
    const missedBySeconds = Math.max(0, Math.round((seconds - targetSeconds) * 1000) / 1000);
    const target: CycleTarget = {
      targetSeconds,
      seconds,
      cpuSeconds,
      met: missedBySeconds === 0,
      missedBySeconds,
      atTargetScale: dossiers >= 10_000_000,
      quiet: mode === 'cycle' && periodsRecomputed === 0,
    };
    return [name, target] as const;
  });
  return Object.fromEntries(entries) as Record<TimedCycle, CycleTarget>;
}

/** One minute past the next city midnight, as a UTC timestamp. */
export function nextCityDay(at: Date): string {
  const today = periodStartOf('day', at);
  return formatUtc(Date.parse(`${today}T00:01:00+07:00`) + 86_400_000);
}

/** One minute past the next city new year, as a UTC timestamp. */
export function nextCityYear(at: Date): string {
  const year = Number(periodStartOf('year', at).slice(0, 4)) + 1;
  return formatUtc(Date.parse(`${year}-01-01T00:01:00+07:00`));
}

/**
 * The late data's time: a 10M history's at the city's rate (≈ 1.4 years), so that from 10M on the late
 * dossiers touch the same periods and 50M against 10M compares like with like.
 */
export const LATE_SPAN_MS = (10_000_000 / CITY_DOSSIERS_PER_YEAR) * 365 * 86_400_000;
/** Late receipts end this long ago: each has finished (1–12 days) but the stuck tail's. */
const LATE_END_AGO_MS = 14 * 86_400_000;

/**
 * Late receipts: from {@link LATE_SPAN_MS} ago (a 10M history's start, so no size clamps them: 10M's were
 * clamped two weeks later than 50M's, 124 periods against 126) up to two weeks ago, within the history when
 * it is shorter; seen from `now` (ms, the wall clock by default).
 */
export function lateData(
  history: { startAt: string; spanSeconds: number },
  now = Date.now(),
): {
  startAt: string;
  spanSeconds: number;
} {
  const end = now - LATE_END_AGO_MS;
  const historyStart = Date.parse(`${history.startAt.replace(' ', 'T')}Z`);
  const start = Math.min(Math.max(historyStart, now - LATE_SPAN_MS), end - 86_400_000);
  return { startAt: formatUtc(start), spanSeconds: Math.round((end - start) / 1000) };
}

export interface CycleFigures {
  seconds: number;
  /** CPU seconds of this process: embedded chDB runs in it, so this is steadier than wall time on a shared
   * machine (a remote server's work is not in it). */
  cpuSeconds: number;
  dossiersRefreshed: number;
  periodsRecomputed: number;
  rowsWritten: number;
  /** Seconds per statement label, summed over the cycle. */
  breakdown: Record<string, number>;
  /**
   * CPU seconds of this process per statement label (since the previous trace, as kpi-equivalence.ts
   * counts them: the engine's merges land in the statement they overlap).
   */
  statementCpu: Record<string, number>;
  /** Seconds waited before the cycle for ClickHouse's background merges to finish. */
  settleSeconds: number;
  /**
   * Background merges finished during the cycle (system.events): their rows and summed seconds. The engine
   * runs in this process, so their CPU is in cpuSeconds, and they take a core from the cycle's statements.
   */
  merges: MergeCounters;
  mode: string;
  /** Seconds of the Decision 766 statements in the breakdown, and whether its values statement ran. */
  index766Seconds: number;
  index766StatementRan: boolean;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** One KPI cycle at `now` (the server's clock when unset) once merges have settled, with its figures. */
export async function timedCycle(
  clickhouse: ClickHouse,
  dayHorizonDays: number,
  now?: string,
): Promise<CycleFigures> {
  const settleSeconds = await settle(clickhouse);
  const mergesBefore = await mergeCounters(clickhouse);
  const breakdown: Record<string, number> = {};
  const statementCpu: Record<string, number> = {};
  const began = performance.now();
  const cpu = process.cpuUsage();
  let mark = process.cpuUsage();
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 0,
    dayHorizonDays,
    now,
    trace: (label, ms) => {
      breakdown[label] = round((breakdown[label] ?? 0) + ms / 1000);
      const used = process.cpuUsage(mark);
      mark = process.cpuUsage();
      statementCpu[label] = round((statementCpu[label] ?? 0) + (used.user + used.system) / 1e6);
    },
  });
  const { user, system } = process.cpuUsage(cpu);
  const mergesAfter = await mergeCounters(clickhouse);
  const index766 = Object.entries(breakdown).filter(([label]) => label.includes('index766'));
  return {
    index766Seconds: round(index766.reduce((sum, [, seconds]) => sum + seconds, 0)),
    // Its statement, or the same periods from stored inputs (index766-statement.ts).
    index766StatementRan: index766.some(
      ([label]) =>
        label.startsWith('kpi_stage_values_v1 <- index766') || label.startsWith('index766 statement:'),
    ),
    seconds: round((performance.now() - began) / 1000),
    cpuSeconds: round((user + system) / 1e6),
    mode: result.mode,
    dossiersRefreshed: result.dossiersRefreshed,
    periodsRecomputed: result.periodsRecomputed,
    rowsWritten: result.rowsWritten,
    breakdown,
    statementCpu,
    settleSeconds,
    merges: {
      count: mergesAfter.count - mergesBefore.count,
      rows: mergesAfter.rows - mergesBefore.rows,
      seconds: round(mergesAfter.seconds - mergesBefore.seconds),
    },
  };
}
