import type { KpiLeases } from './claim-lease.ts';
import type { ChainLimits } from './index766/stored-inputs.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import type { PeriodKind, ScopeKind } from './periods.ts';

/** The steps of a KPI cycle's generation, in order (see KpiRunOptions.onPhase). */
export const KPI_PHASES = ['staging', 'claimed', 'applied', 'computed', 'committed'] as const;
export type KpiPhase = (typeof KPI_PHASES)[number];

/** The options of one KPI run: a cycle (runKpiCycle), a backfill or the rebuild either may do. */
export interface KpiRunOptions {
  /** Identifies the run's scratch rows and its rows in kpi_values_v1. */
  runId: string;
  periodKinds: readonly PeriodKind[];
  scopeKinds: readonly ScopeKind[];
  /** Restricts the run to these KPI ids (default: the whole catalog). */
  kpiIds?: readonly string[];
  /**
   * `YYYY-MM-DD HH:MM:SS.mmm` UTC: judges open dossiers, bounds the current period. Default: server now
   * (never before the last cycle's instant). An instant before the last cycle's rebuilds every cell.
   */
  now?: string;
  /** Day periods older than this many days before `now` are not recomputed (default: no limit). */
  dayHorizonDays?: number;
  /** Called after each statement with a constant label and its duration (benchmark breakdowns). */
  trace?: (label: string, ms: number) => void;
  /**
   * Called as a cycle's generation moves on (named checkpoints: logged at debug level by the aggregator,
   * where the fault suite aims its kills): staging its rows, claimed, applied, values computed, committed.
   */
  onPhase?: (phase: KpiPhase) => void;
  /** Abandons the run before its next statement (shutdown) while nothing is applied yet. */
  signal?: AbortSignal;
  /**
   * How this run proves it is alive while it holds a claim, and how it judges another run's claim: a
   * claim whose lease lapsed is finished (or, for a rebuild, redone) at once. Without leases, or for a
   * claim made without one, see staleAfterMs.
   */
  leases?: KpiLeases;
  /**
   * A generation staged by another run without a lease and not committed after this long is presumed
   * lost with its run and finished (or, for a rebuild, redone) by this one. Default 30 minutes.
   */
  staleAfterMs?: number;
  /**
   * Dossiers per slice when this run builds every dossier's facts (a rebuild): the rebuild's peak memory
   * follows this, not the history. Default: what half the statements' memory cap holds, at most
   * DEFAULT_SLICE_DOSSIERS (rebuild-steps.ts sliceDossiersFor).
   */
  rebuildSliceDossiers?: number;
  /**
   * How long a chain of stored Decision 766 inputs grows before a cycle writes every scope again
   * (index766-running.ts). Default CHAIN_LIMITS; tests pass shorter ones.
   */
  index766Chain?: ChainLimits;
  /** Told what the run did without, rather than failing (the aggregator logs it as a warning). */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Cycles always cover the whole catalog: they advance the one shared watermark and replace dossier facts,
 * so a cycle for some KPIs would lose, for the others, the periods the touched dossiers left.
 */
export interface KpiCycleOptions extends Omit<KpiRunOptions, 'kpiIds'> {
  /** Overlap re-read behind the watermark, for inserts whose ingested_at was set before they became visible. */
  graceMs: number;
  /**
   * Runs a chain of live cells may link before a cycle writes them whole again (default
   * LIVE_CHAIN_LIMITS.links, sql/crossed.sql.ts): each link is a run's crossed rows every reader sums.
   */
  liveChainLinks?: number;
}

export interface BackfillOptions extends KpiRunOptions {
  /** City dates `YYYY-MM-DD`, inclusive: every period overlapping them is recomputed. */
  fromDate: string;
  toDate: string;
  /**
   * Rebuild every dossier's facts and every cell first (after a formula or catalog fix). Default true.
   * Without it, the range's cells are recomputed from the stored facts, as judged at the last cycle.
   */
  refreshFacts?: boolean;
}

export interface KpiRunResult {
  runId: string;
  kpiIds: string[];
  /** What the run did: a cycle, a rebuild of every cell, a recomputed range, or nothing (`skipped`). */
  mode: 'cycle' | 'rebuild' | 'range' | 'skipped';
  /** Why a run did nothing: another run holds the generation. */
  skippedReason?: string;
  /** Ingestion-time window the run covered (cycles only). */
  window?: { from: string; to: string };
  dossiersRefreshed: number;
  periodsRecomputed: number;
  rowsWritten: number;
}

/**
 * What a run computes values for: its period kinds, scope kinds and day horizon. A cycle with nothing new
 * to count or judge relies on the previous generation's values only when that one computed the same.
 */
export function computedKey(
  options: Pick<KpiRunOptions, 'periodKinds' | 'scopeKinds' | 'dayHorizonDays'>,
): string {
  return JSON.stringify([options.periodKinds, options.scopeKinds, options.dayHorizonDays ?? null]);
}

export function skipped(runId: string, kpis: KpiDefinition[], reason: string): KpiRunResult {
  return {
    runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'skipped',
    skippedReason: reason,
    dossiersRefreshed: 0,
    periodsRecomputed: 0,
    rowsWritten: 0,
  };
}
