// What a replay of the aggregate bench (aggregate.bench.ts --history-dir) decides without touching a store:
// the stored history's manifest and whether a checkout may use it, the instant of every timed cycle (all
// derived from the history's fixed instant, never from the wall clock), and the columns stamped with the
// server's clock that a replay moves forward (aggregate-replay.ts freshenStamps).
import { shiftMs } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { lateData, nextCityDay, nextCityYear } from './aggregate-cycles.ts';
import { cityHistory } from './aggregate-data.ts';

/**
 * The default history instant (UTC): a Thursday noon in the city, 35 days before its new year, so the
 * catch-up cycle settles five weeks of days (as the wall-clock bench did when it ran in late November).
 */
export const REPLAY_AT = '2026-11-26 05:00:00.000';
export const MANIFEST_FILE = 'aggregate-history.json';

export interface ReplayManifest {
  dossiers: number;
  /** The history's instant: receipts end there, and the stored KPI state is the rebuild judged at it. */
  now: string;
  /** The checkout that generated and rebuilt it (`+dirty` when its tracked files differed from HEAD). */
  commit: string;
  /** Migrations applied in the store, by file name: a checkout missing one refuses the store. */
  migrations: string[];
  /** The server's clock once the rebuild had settled: stamps are moved forward by the time since. */
  rebuiltAt: string;
  /** Wall-clock ISO time the store was finished. */
  generatedAt: string;
  generateSeconds: number;
  generateCpuSeconds: number;
  /** The rebuild (the generator's full cycle at `now`), in the bench's cycle figures. */
  fullCycle: unknown;
  /** Rows of each table with a TTL ({@link TTL_TABLES}) at the end: a replay checks its copy holds as many. */
  stampedRows: Record<string, number>;
}

/** Why a checkout (migration files `known`) may not replay the store of `manifest`, or undefined. */
export function manifestProblem(
  manifest: ReplayManifest,
  known: readonly string[],
  wanted: { dossiers?: number; now?: string } = {},
): string | undefined {
  const knownSet = new Set(known);
  const unknown = manifest.migrations.filter((name) => !knownSet.has(name));
  if (unknown.length > 0) {
    return (
      `the history was written by ${manifest.commit} with ${unknown.length} migration(s) this checkout does not ` +
      `know (${unknown.join(', ')}): generate the history with the oldest commit of the comparison, or use ` +
      'another --history-dir'
    );
  }
  if (wanted.dossiers !== undefined && wanted.dossiers !== manifest.dossiers) {
    return `the history holds ${manifest.dossiers} dossiers, not ${wanted.dossiers}: use another --history-dir`;
  }
  if (wanted.now !== undefined && wanted.now !== manifest.now) {
    return `the history stands at ${manifest.now}, not --now ${wanted.now}: use another --history-dir`;
  }
  return undefined;
}

export interface Arrivals {
  startAt: string;
  spanSeconds: number;
  /** The instant the arrivals are generated at (aggregate-data.ts insertDossiers `now`). */
  now: string;
}

export interface ReplayInstants {
  rebuild: string;
  /**
   * An untimed cycle between the stored rebuild and the idle cycle: the rebuild was run by the history's
   * commit, so a checkout whose KPI state differs from it (another inputs fingerprint, another statement's
   * stored rows) pays the difference in its first cycle; timing the second compares the commits' idle
   * cycles, not one commit's adoption of the other's state.
   */
  warm: string;
  idle: string;
  incremental: { at: string; arrivals: Arrivals };
  lateData: { at: string; arrivals: Arrivals };
  dayRollover: string;
  catchUp: string;
  yearRollover: string;
}

const MINUTE = 60_000;
const ms = (at: string) => Date.parse(`${at.replace(' ', 'T')}Z`);

/**
 * Every timed cycle's instant from the history's `at`: an untimed warm cycle 30 s on, idle a minute on, 1,000 new (received in the hour
 * before) two minutes on, 1,000 late (aggregate-cycles.ts lateData, seen from their instant) three minutes
 * on, then the next city day, three minutes before the city's new year (the catch-up) and its first minute:
 * the wall-clock bench's order, at instants a replay repeats exactly.
 */
export function replayInstants(at: string, dossiers: number): ReplayInstants {
  const incremental = shiftMs(at, 2 * MINUTE);
  const late = shiftMs(at, 3 * MINUTE);
  const year = nextCityYear(new Date(ms(at)));
  return {
    rebuild: at,
    warm: shiftMs(at, MINUTE / 2),
    idle: shiftMs(at, MINUTE),
    incremental: {
      at: incremental,
      arrivals: { startAt: shiftMs(incremental, -3_600_000), spanSeconds: 3_000, now: incremental },
    },
    lateData: {
      at: late,
      arrivals: { ...lateData(cityHistory(dossiers, ms(at)), ms(late)), now: late },
    },
    dayRollover: nextCityDay(new Date(ms(late))),
    catchUp: shiftMs(year, -180_000),
    yearRollover: year,
  };
}

/**
 * Columns the server stamps with its clock (DEFAULT now()) that KPI statements judge by age: the staged
 * live cells and the Decision 766 inputs a cycle starts its chains from while under 2–4 hours old
 * (LIVE_CHAIN_LIMITS, CHAIN_LIMITS, PREVIOUS_LIVE_READY_SQL, TAG_VALID). A replay moves them forward by the
 * time since the rebuild, so the copy reads as just rebuilt, as in a run that generates its history.
 */
export const STAMPED: Readonly<Record<string, string>> = {
  kpi_stage_cells_v1: 'created_at',
  kpi_index766_scope_inputs_v1: 'created_at',
};

/**
 * Tables with a TTL on a server-stamped column: a replay's engine runs no TTL merge (an old copy's would
 * drop or rewrite rows a run that generates keeps: staged rows 6 hours, the run's dossiers and periods a
 * day, the values' log 7 days, the rebuild's steps 30 days, the touched dossiers 90; aggregate-replay.ts
 * replayEngineArgs), and checks that each holds the rows the history had. Only {@link STAMPED} is moved.
 */
export const TTL_TABLES = [
  'kpi_stage_cells_v1',
  'kpi_stage_facts_v1',
  'kpi_stage_values_v1',
  'kpi_index766_scope_inputs_v1',
  'kpi_run_dossiers_v1',
  'kpi_run_periods_v1',
  'kpi_values_v1',
  'kpi_rebuild_steps_v1',
  'kpi_touched_v1',
] as const;

/**
 * `text` (ISO 8601, or the stores' 'YYYY-MM-DD hh:mm:ss[.sss]', UTC without a zone) as the stores' UTC
 * 'YYYY-MM-DD hh:mm:ss.sss'; throws on anything else.
 */
export function parseInstant(text: string): string {
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(text.trim());
  const parsed = Date.parse(zoned ? text.trim() : `${text.trim().replace(' ', 'T')}Z`);
  if (Number.isNaN(parsed)) throw new Error(`not an instant: ${text}`);
  return formatUtc(parsed);
}

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
