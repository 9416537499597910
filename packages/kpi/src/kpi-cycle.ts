import { createHash } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { KPI_CATALOG, selectKpis } from './catalog.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import { PERIOD_KINDS, type PeriodKind, periodStartOf, type ScopeKind } from './periods.ts';
import { cellLayout, DOSSIER_PURPOSES, dossierValuesSql, participationSql } from './sql/cells.sql.ts';
import { BUILD_FACTS_SQL, STAGE_CANDIDATE_FACTS_SQL } from './sql/facts.sql.ts';
import {
  APPLY_FACTS_SQL,
  APPLY_OPEN_FACTS_SQL,
  applyCellsSql,
  BUILD_OPEN_FACTS_SQL,
  buildCellsSql,
  builtCells,
  GENERATIONS_TABLE,
  OPEN_FACTS_DUE_SQL,
  READ_GENERATIONS_SQL,
  REBUILD_TRUNCATE_SQL,
  STAGE_CHANGED_FACTS_SQL,
  STAGE_OPEN_FACTS_SQL,
  STAGED_DELTAS,
  scopeCellsSql,
  scopeProceduresSql,
  stageCycleDeltaSql,
  stageLiveCellsSql,
  stageRangeDeltaSql,
  VERIFY_OPEN_FACTS_SQL,
  verifyCellsSql,
  verifyLiveCellsSql,
  verifyScopesSql,
} from './sql/generation.sql.ts';
import { PROCEDURE_PURPOSES, procedureKpisSql } from './sql/procedure-kpis.sql.ts';
import {
  CATALOG_CHANGED_SQL,
  CATALOG_TOUCHED_DOSSIERS_SQL,
  currentPeriodSql,
  rangePeriodsSql,
  runPeriodCountsSql,
  TOUCHED_DOSSIERS_SQL,
  touchedCatalogPeriodsSql,
  touchedDossierPeriodsSql,
} from './sql/run-periods.sql.ts';
import { JUDGED_NAME, SERVER_NOW_SQL, WATERMARK_NAME, WATERMARK_TABLE } from './sql/watermark.sql.ts';
import { STAGED_VALUES_SQL, stageValuesSql, writeChangedValuesSql } from './sql/write-values.sql.ts';
import { targetRuleParams } from './targets.ts';

export interface KpiRunScope {
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
  /** Abandons the run before its next statement (shutdown) while nothing is applied yet. */
  signal?: AbortSignal;
  /**
   * A generation staged by another run and not committed after this long is presumed lost with its
   * run and finished (or, for a rebuild, redone) by this one. Default 30 minutes.
   */
  staleAfterMs?: number;
}

/**
 * Cycles always cover the whole catalog: they advance the one shared watermark and replace dossier facts,
 * so a cycle for some KPIs would lose, for the others, the periods the touched dossiers left.
 */
export interface KpiCycleOptions extends Omit<KpiRunScope, 'kpiIds'> {
  /** Overlap re-read behind the watermark, for inserts whose ingested_at was set before they became visible. */
  graceMs: number;
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

const EPOCH = '1970-01-01 00:00:00.000';
const EPOCH_DAY = '1970-01-01';
const DEFAULT_STALE_AFTER_MS = 30 * 60_000;

/** Every dossier KPI of the catalog: cells always carry all of them, whatever a run recomputes. */
const LAYOUT = cellLayout(KPI_CATALOG.filter((k) => k.source === 'dossier'));

/**
 * What the cells were computed with: counters, formulas, participation rules and facts. Cells built by
 * another version of any of them are rebuilt by the next cycle.
 */
export const CELL_LAYOUT_FINGERPRINT = createHash('sha256')
  .update(
    JSON.stringify([
      LAYOUT.keys,
      LAYOUT.aggregates,
      PERIOD_KINDS.map((k) => participationSql(k, '')),
      BUILD_FACTS_SQL,
    ]),
  )
  .digest('hex')
  .slice(0, 16);

interface Generation {
  gen: number;
  run_id: string;
  kind: 'cycle' | 'rebuild' | 'range';
  state: 'staged' | 'committed' | 'released' | 'abandoned';
  judged_at: string;
  window_to: string;
  day_floor: string;
  layout: string;
  created_at: string;
}

interface GenerationLog {
  committed?: Generation;
  /** The generation after the committed one, claimed by a run that has not committed it (yet). */
  pending?: Generation;
  /** The pending generation's run failed after its claim: another run may finish it at once. */
  released: boolean;
  /** A run gave that generation up part way: the tables may hold part of it, only a rebuild is safe. */
  interrupted: boolean;
}

/** Staged rows expire after 6 hours (migrations 0022, 0023): a generation older than this cannot be finished. */
const FINISHABLE_MS = 5 * 3_600_000;

/** What a run records when it claims a generation (its state and time are added on writing). */
type Claim = Omit<Generation, 'created_at' | 'state'>;

type Params = Record<string, unknown>;

/**
 * One incremental cycle. Dossier KPIs are read from kpi_cells_v1, signed counts per period × admin level
 * × agency × field × procedure of every dossier's rows that no longer move with time; the open dossiers
 * (kpi_open_facts_v1) are judged at the cycle's instant on top. A cycle:
 * 1. lists the dossiers touched since the watermark (events or catalog rows ingested in the window) and
 *    stages the facts of those that changed;
 * 2. stages cell deltas: minus their old rows, plus their new ones, plus the open dossiers' rows that
 *    time settled since the last cycle (a period ended, a dossier finished or started);
 * 3. claims the next generation in kpi_cycles_v1 (the first claim wins; a run that loses does nothing);
 * 4. applies the staged rows with the generation's deduplication tokens (no abandoning from here on),
 *    so a generation applied twice (a crash in between, another run finishing it) counts once;
 * 5. recomputes the touched periods and the current ones from the cells, writes the values that changed,
 *    and commits the generation.
 * Its cost follows the touched dossiers and the open ones, not the history.
 */
export async function runKpiCycle(clickhouse: ClickHouse, options: KpiCycleOptions): Promise<KpiRunResult> {
  const kpis = selectKpis();
  const serverTime = await serverNow(clickhouse);
  const log = await settlePending(clickhouse, options, serverTime);
  if ('skipped' in log) return skipped(options.runId, kpis, log.skipped);
  const { committed } = log;
  const gen = (committed?.gen ?? 0) + 1;
  const now = options.now ?? maxString(serverTime, committed?.judged_at ?? EPOCH);
  if (
    !committed ||
    log.interrupted ||
    now < committed.judged_at ||
    committed.layout !== CELL_LAYOUT_FINGERPRINT
  ) {
    return rebuild(clickhouse, options, kpis, {
      gen,
      now,
      windowTo: serverTime,
      previousNow: committed?.judged_at ?? EPOCH,
      dayFloor: dayFloor(now, options),
      periods: 'all',
    });
  }

  const from = shiftMs(committed.window_to, -options.graceMs);
  const base: Params = {
    run_id: options.runId,
    live_id: options.runId,
    from,
    to: serverTime,
    now,
    judged_before: committed.judged_at,
    previous_now: committed.judged_at,
    day_floor: maxString(dayFloor(now, options), committed.day_floor),
    trace: options.trace,
    signal: options.signal,
  };
  // Statements over nothing are skipped: each costs its planning even when it reads no row.
  await command(clickhouse, TOUCHED_DOSSIERS_SQL, base);
  const catalogChanged = await exists(clickhouse, CATALOG_CHANGED_SQL, base);
  if (catalogChanged) await command(clickhouse, CATALOG_TOUCHED_DOSSIERS_SQL, base);
  if ((await count(clickhouse, 'kpi_run_dossiers_v1', options.runId)) > 0) {
    await command(clickhouse, STAGE_CANDIDATE_FACTS_SQL, base);
    await command(clickhouse, STAGE_CHANGED_FACTS_SQL, base);
  }
  const dossiersRefreshed = await countStaged(clickhouse, options.runId, 'new');
  const changed = dossiersRefreshed > 0;
  for (const kind of options.periodKinds) {
    if (changed) {
      await command(clickhouse, touchedDossierPeriodsSql(kind, 'old'), base);
      await command(clickhouse, touchedDossierPeriodsSql(kind, 'new'), base);
    }
    if (catalogChanged) await command(clickhouse, touchedCatalogPeriodsSql(kind), base);
    await command(clickhouse, currentPeriodSql(kind), base);
  }
  // Cells hold every period kind, whatever this run recomputes: the next run may ask for another.
  const due = await exists(clickhouse, OPEN_FACTS_DUE_SQL, base);
  for (const kind of PERIOD_KINDS) {
    const settle =
      due || periodStartOf(kind, utcDate(committed.judged_at)) !== periodStartOf(kind, utcDate(now));
    if (!settle && !changed) continue;
    await command(clickhouse, stageCycleDeltaSql(kind, LAYOUT, { settle, changed }), {
      ...base,
      label: `kpi_stage_cells_v1 <- ${settle ? 'settled' : ''}${settle && changed ? ' + ' : ''}${changed ? 'changed' : ''} ${kind}`,
    });
  }
  if (changed || due) await command(clickhouse, STAGE_OPEN_FACTS_SQL, base);

  const claim: Claim = {
    gen,
    run_id: options.runId,
    kind: 'cycle',
    judged_at: now,
    window_to: serverTime,
    day_floor: committed.day_floor,
    layout: CELL_LAYOUT_FINGERPRINT,
  };
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) return skipped(options.runId, kpis, lost);
  await releasingOnFailure(clickhouse, claim, () =>
    completeGeneration(clickhouse, kpis, options, claim, { ...base, signal: undefined }),
  );
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'cycle',
    window: { from, to: serverTime },
    dossiersRefreshed,
    periodsRecomputed: await count(clickhouse, 'kpi_run_periods_v1', options.runId),
    rowsWritten: await count(clickhouse, 'kpi_current_v1', options.runId),
  };
}

export interface BackfillOptions extends KpiRunScope {
  /** City dates `YYYY-MM-DD`, inclusive: every period overlapping them is recomputed. */
  fromDate: string;
  toDate: string;
  /**
   * Rebuild every dossier's facts and every cell first (after a formula or catalog fix). Default true.
   * Without it, the range's cells are recomputed from the stored facts, as judged at the last cycle.
   */
  refreshFacts?: boolean;
}

/** Recomputes every period overlapping a date range, for all or some KPIs; leaves the watermark alone. */
export async function backfillKpis(clickhouse: ClickHouse, options: BackfillOptions): Promise<KpiRunResult> {
  const kpis = selectKpis(options.kpiIds);
  const serverTime = await serverNow(clickhouse);
  const log = await settlePending(clickhouse, options, serverTime);
  if ('skipped' in log) {
    throw new Error(`another KPI computation holds the next generation (${log.skipped}); retry later`);
  }
  const { committed } = log;
  const gen = (committed?.gen ?? 0) + 1;
  if (
    !committed ||
    log.interrupted ||
    options.refreshFacts !== false ||
    committed.layout !== CELL_LAYOUT_FINGERPRINT
  ) {
    const now = options.now ?? maxString(serverTime, committed?.judged_at ?? EPOCH);
    return rebuild(clickhouse, options, kpis, {
      gen,
      now,
      // The facts are rebuilt from everything ingested so far; later cycles refresh only what follows.
      windowTo: serverTime,
      previousNow: committed?.judged_at ?? EPOCH,
      dayFloor: minString(options.fromDate, dayFloor(now, options)),
      periods: { from: options.fromDate, to: options.toDate },
    });
  }
  // The range is judged at the last cycle's instant, the one the cells and open facts stand at.
  const base: Params = {
    run_id: options.runId,
    live_id: options.runId,
    now: committed.judged_at,
    from_date: options.fromDate,
    to_date: options.toDate,
    // A backfill recomputes exactly the range it is asked for, however old.
    day_floor: EPOCH_DAY,
    trace: options.trace,
    signal: options.signal,
  };
  for (const kind of options.periodKinds) await command(clickhouse, rangePeriodsSql(kind), base);
  for (const kind of options.periodKinds) await command(clickhouse, stageRangeDeltaSql(kind, LAYOUT), base);
  const claim: Claim = {
    gen,
    run_id: options.runId,
    kind: 'range',
    judged_at: committed.judged_at,
    window_to: committed.window_to,
    day_floor: committed.day_floor,
    layout: CELL_LAYOUT_FINGERPRINT,
  };
  if (await claimGeneration(clickhouse, claim)) {
    throw new Error(`another KPI computation claimed generation ${gen} first; retry later`);
  }
  await releasingOnFailure(clickhouse, claim, () =>
    completeGeneration(clickhouse, kpis, options, claim, { ...base, signal: undefined }),
  );
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'range',
    dossiersRefreshed: 0,
    periodsRecomputed: await count(clickhouse, 'kpi_run_periods_v1', options.runId),
    rowsWritten: await count(clickhouse, 'kpi_current_v1', options.runId),
  };
}

interface RebuildPlan {
  gen: number;
  now: string;
  windowTo: string;
  previousNow: string;
  /** First day whose cells are built (and maintained by later cycles). */
  dayFloor: string;
  /** Periods whose values are recomputed: all of them (first cycle) or a backfill's range. */
  periods: 'all' | { from: string; to: string };
}

/**
 * Builds facts, open facts and cells from scratch: the first cycle, a clock that went back, a backfill
 * with fresh facts. Interrupted, it is redone from the start by the next run (it begins by emptying them).
 */
async function rebuild(
  clickhouse: ClickHouse,
  scope: KpiRunScope,
  kpis: KpiDefinition[],
  plan: RebuildPlan,
): Promise<KpiRunResult> {
  const claim: Claim = {
    gen: plan.gen,
    run_id: scope.runId,
    kind: 'rebuild',
    judged_at: plan.now,
    window_to: plan.windowTo,
    day_floor: plan.dayFloor,
    layout: CELL_LAYOUT_FINGERPRINT,
  };
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) {
    if (plan.periods !== 'all') throw new Error(`${lost}; retry later`);
    return skipped(scope.runId, kpis, lost);
  }
  const base: Params = {
    run_id: scope.runId,
    live_id: scope.runId,
    from: EPOCH,
    to: plan.windowTo,
    now: plan.now,
    previous_now: plan.previousNow,
    day_floor: plan.dayFloor,
    ...(plan.periods === 'all' ? {} : { from_date: plan.periods.from, to_date: plan.periods.to }),
    trace: scope.trace,
    signal: scope.signal,
  };
  try {
    for (const statement of REBUILD_TRUNCATE_SQL) await command(clickhouse, statement, base);
    await command(clickhouse, BUILD_FACTS_SQL, base);
    await command(clickhouse, BUILD_OPEN_FACTS_SQL, base);
    for (const kind of PERIOD_KINDS) {
      await command(clickhouse, buildCellsSql(kind, LAYOUT), base);
      await command(clickhouse, scopeCellsSql(LAYOUT, builtCells(kind)), base);
      await command(clickhouse, scopeProceduresSql(LAYOUT, builtCells(kind)), base);
    }
    for (const kind of scope.periodKinds) {
      if (plan.periods === 'all') {
        await command(clickhouse, touchedDossierPeriodsSql(kind, 'all'), base);
        await command(clickhouse, touchedCatalogPeriodsSql(kind), base);
        await command(clickhouse, currentPeriodSql(kind), base);
      } else {
        await command(clickhouse, rangePeriodsSql(kind), base);
      }
    }
  } catch (err) {
    // Half-built tables: the next run rebuilds at once rather than waiting for this claim to go stale.
    await recordGeneration(clickhouse, { ...claim, state: 'abandoned' }).catch(() => {});
    throw err;
  }
  const settled = { ...base, signal: undefined };
  await computeAndWrite(clickhouse, kpis, scope, settled);
  // A backfill's rebuild leaves the watermark to the cycles, as a range does.
  await commitGeneration(clickhouse, claim, kpis, plan.periods !== 'all');
  return {
    runId: scope.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'rebuild',
    window: { from: EPOCH, to: plan.windowTo },
    dossiersRefreshed: await countFacts(clickhouse),
    periodsRecomputed: await count(clickhouse, 'kpi_run_periods_v1', scope.runId),
    rowsWritten: await count(clickhouse, 'kpi_current_v1', scope.runId),
  };
}

export interface KpiStateCheck {
  /** Every count below is zero: the incremental state equals its recomputation. */
  exact: boolean;
  /** The committed generation checked (undefined: nothing computed yet). */
  generation?: number;
  judgedAt?: string;
  /** Cells per period kind that differ from a recomputation from the facts. */
  cellsDiffering: Record<PeriodKind, number>;
  /** Dossiers whose open facts differ from the facts open at the judged instant. */
  openFactsDiffering: number;
  /** Running-period cells per kind where the open dossiers' one-pass rows differ from their own kind's. */
  liveCellsDiffering: Record<PeriodKind, number>;
  /** Scope rows that differ from the cells summed per scope. */
  scopeRowsDiffering: { cells: number; procedures: number };
}

/**
 * Checks the incremental state against a recomputation from every dossier's facts at the last committed
 * instant (from the day floor on, days older than the horizon are left as they were): all zeros when
 * increments kept it exact. Reads everything: an operator's check, not a cycle step.
 */
export async function verifyKpiState(
  clickhouse: ClickHouse,
  options: { dayHorizonDays?: number } = {},
): Promise<KpiStateCheck> {
  const { committed } = await readGenerations(clickhouse);
  const cellsDiffering = { day: 0, month: 0, quarter: 0, year: 0 };
  const liveCellsDiffering = { ...cellsDiffering };
  if (!committed) {
    return {
      exact: true,
      cellsDiffering,
      openFactsDiffering: 0,
      liveCellsDiffering,
      scopeRowsDiffering: { cells: 0, procedures: 0 },
    };
  }
  const params = {
    now: committed.judged_at,
    day_floor: maxString(dayFloor(committed.judged_at, options), committed.day_floor),
  };
  for (const kind of PERIOD_KINDS) {
    const query = verifyCellsSql(kind, LAYOUT);
    const [row] = await queryRows<{ n: string | number }>(clickhouse, query, pick(query, params));
    cellsDiffering[kind] = Number(row?.n ?? 0);
    const live = verifyLiveCellsSql(kind, LAYOUT);
    const [liveRow] = await queryRows<{ n: string | number }>(clickhouse, live, pick(live, params));
    liveCellsDiffering[kind] = Number(liveRow?.n ?? 0);
  }
  const [open] = await queryRows<{ n: string | number }>(clickhouse, VERIFY_OPEN_FACTS_SQL, {
    now: committed.judged_at,
  });
  const [scopes] = await queryRows<{ scope_cells: string | number; scope_procedures: string | number }>(
    clickhouse,
    verifyScopesSql(LAYOUT),
  );
  const scopeRowsDiffering = {
    cells: Number(scopes?.scope_cells ?? 0),
    procedures: Number(scopes?.scope_procedures ?? 0),
  };
  const openFactsDiffering = Number(open?.n ?? 0);
  const counts = [
    openFactsDiffering,
    ...Object.values(cellsDiffering),
    ...Object.values(liveCellsDiffering),
    ...Object.values(scopeRowsDiffering),
  ];
  return {
    exact: counts.every((n) => n === 0),
    generation: committed.gen,
    judgedAt: committed.judged_at,
    scopeRowsDiffering,
    cellsDiffering,
    openFactsDiffering,
    liveCellsDiffering,
  };
}

/**
 * Runs the applying steps of a claimed generation; if one fails (ClickHouse unreachable, a bug), the claim
 * is released so that the next run finishes the generation at once instead of waiting for it to go stale.
 */
async function releasingOnFailure(
  clickhouse: ClickHouse,
  claim: Claim,
  apply: () => Promise<void>,
): Promise<void> {
  try {
    await apply();
  } catch (err) {
    const { pending } = await readGenerations(clickhouse).catch(() => ({ pending: undefined }));
    if (pending?.gen === claim.gen && pending.run_id === claim.run_id) {
      await recordGeneration(clickhouse, { ...pending, state: 'released' }).catch(() => {});
    }
    throw err;
  }
}

/**
 * Reads the cycle log and deals with a generation claimed but not committed: while its run may still be
 * working (claimed less than staleAfterMs ago) this run stands aside; after that, a staged cycle or range
 * is finished from its staged rows (applying them again is harmless), unless these may have expired; a
 * rebuild, or a generation too old to finish, is marked abandoned, so that this run rebuilds instead.
 */
async function settlePending(
  clickhouse: ClickHouse,
  scope: KpiRunScope,
  serverTime: string,
): Promise<GenerationLog | { skipped: string }> {
  const log = await readGenerations(clickhouse);
  const { pending } = log;
  if (!pending) return log;
  const age = utcDate(serverTime).getTime() - utcDate(pending.created_at).getTime();
  if (!log.released && age < (scope.staleAfterMs ?? DEFAULT_STALE_AFTER_MS)) {
    return { skipped: `generation ${pending.gen} is being computed by run ${pending.run_id}` };
  }
  if (pending.kind === 'rebuild' || age > FINISHABLE_MS) {
    await recordGeneration(clickhouse, { ...pending, state: 'abandoned' });
  } else {
    const kpis = selectKpis();
    const base: Params = {
      run_id: pending.run_id,
      // Not this run's own id: its own cycle stages live cells of another instant next.
      live_id: `${scope.runId}:finishing`,
      now: pending.judged_at,
      day_floor: pending.kind === 'range' ? EPOCH_DAY : pending.day_floor,
      trace: scope.trace,
    };
    await completeGeneration(clickhouse, kpis, scope, pending, base);
  }
  return readGenerations(clickhouse);
}

async function readGenerations(clickhouse: ClickHouse): Promise<GenerationLog> {
  const rows = (await queryRows<Generation & { gen: string | number }>(clickhouse, READ_GENERATIONS_SQL)).map(
    (r) => ({ ...r, gen: Number(r.gen) }),
  );
  const committed = rows.filter((r) => r.state === 'committed').at(-1);
  const next = (committed?.gen ?? 0) + 1;
  const abandoned = new Set(
    rows.filter((r) => r.gen === next && r.state === 'abandoned').map((r) => r.run_id),
  );
  const pending = rows.find((r) => r.gen === next && r.state === 'staged' && !abandoned.has(r.run_id));
  const released = rows.some((r) => r.gen === next && r.state === 'released' && r.run_id === pending?.run_id);
  return { committed, pending, released, interrupted: abandoned.size > 0 };
}

/** Records this run's claim on `gen`; returns why it lost, or undefined when its claim came first. */
async function claimGeneration(clickhouse: ClickHouse, claim: Claim): Promise<string | undefined> {
  await recordGeneration(clickhouse, { ...claim, state: 'staged' });
  const { committed, pending } = await readGenerations(clickhouse);
  if (committed && committed.gen >= claim.gen) return `generation ${claim.gen} was committed by another run`;
  if (pending?.gen === claim.gen && pending.run_id === claim.run_id) return undefined;
  return `generation ${claim.gen} was claimed first by run ${pending?.run_id ?? 'unknown'}`;
}

async function recordGeneration(clickhouse: ClickHouse, row: Omit<Generation, 'created_at'>): Promise<void> {
  await clickhouse.insert({ table: GENERATIONS_TABLE, values: [row], format: 'JSONEachRow' });
}

/** Applies a staged generation; each insert carries a token of the generation and its run. */
async function applyGeneration(clickhouse: ClickHouse, gen: number, owner: string, params: Params) {
  const token = `kpi-gen-${gen}-${owner}`;
  const run = { ...params, run_id: owner };
  await command(clickhouse, applyCellsSql(LAYOUT), run, { insert_deduplication_token: `${token}-cells` });
  await command(clickhouse, scopeCellsSql(LAYOUT, STAGED_DELTAS), run, {
    insert_deduplication_token: `${token}-scope-cells`,
  });
  await command(clickhouse, scopeProceduresSql(LAYOUT, STAGED_DELTAS), run, {
    insert_deduplication_token: `${token}-scope-procedures`,
  });
  await command(clickhouse, APPLY_OPEN_FACTS_SQL, run, { insert_deduplication_token: `${token}-open` });
  await command(clickhouse, APPLY_FACTS_SQL, run);
}

async function commitGeneration(
  clickhouse: ClickHouse,
  claim: Claim,
  kpis: KpiDefinition[],
  keepWatermark: boolean,
): Promise<void> {
  const { pending } = await readGenerations(clickhouse);
  if (pending?.gen === claim.gen && pending.run_id === claim.run_id) {
    await recordGeneration(clickhouse, { ...pending, state: 'committed' });
  }
  // Progress rows read by readiness and the monitor.
  await saveProgress(
    clickhouse,
    [...(keepWatermark ? [] : [WATERMARK_NAME]), ...kpis.map((k) => `kpi:${k.id}`)],
    claim.window_to,
  );
  if (!keepWatermark) await saveProgress(clickhouse, [JUDGED_NAME], claim.judged_at);
}

/**
 * Applies a claimed cycle or range generation's staged rows, recomputes the values of its periods and
 * commits it: by the run that claimed it, or by a later one finishing it (`params` then carries the
 * claiming run's id for the staged rows).
 */
async function completeGeneration(
  clickhouse: ClickHouse,
  kpis: KpiDefinition[],
  scope: KpiRunScope,
  claim: Claim,
  params: Params,
): Promise<void> {
  await applyGeneration(clickhouse, claim.gen, claim.run_id, params);
  await computeAndWrite(clickhouse, kpis, scope, params);
  // A range leaves the watermark to the cycles.
  await commitGeneration(clickhouse, claim, kpis, claim.kind === 'range');
}

function skipped(runId: string, kpis: KpiDefinition[], reason: string): KpiRunResult {
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

/** The run's live cells (open dossiers judged at {now}), then every value statement of its periods. */
async function computeAndWrite(
  clickhouse: ClickHouse,
  kpis: KpiDefinition[],
  scope: KpiRunScope,
  base: Params,
): Promise<void> {
  const computedAt = await serverNow(clickhouse);
  const bySource = {
    dossier: kpis.filter((k) => k.source === 'dossier'),
    procedure: kpis.filter((k) => k.source === 'procedure'),
  };
  const statements = scope.periodKinds.flatMap((kind) =>
    (['dossier', 'procedure'] as const)
      .filter((source) => bySource[source].length > 0)
      .map((source) => ({
        kind,
        source,
        purposes: source === 'dossier' ? DOSSIER_PURPOSES : PROCEDURE_PURPOSES,
      })),
  );
  // A statement over no period writes nothing but still costs its planning and catalog reads.
  const counts = await runPeriodCounts(clickhouse, statements, base);
  const dossierKinds = statements
    .filter((st, i) => st.source === 'dossier' && counts[i] !== 0)
    .map((st) => st.kind);
  if (dossierKinds.length > 0) {
    await command(clickhouse, stageLiveCellsSql(dossierKinds, LAYOUT), {
      ...base,
      label: 'kpi_stage_cells_v1 <- live',
    });
  }
  // The dossier KPIs of every kind in one statement (planning one costs about what running it does);
  // the catalog KPIs, due only when the day or the catalog changed, per kind.
  const writes = [
    ...(dossierKinds.length > 0 ? [{ kinds: dossierKinds, source: 'dossier' as const }] : []),
    ...statements
      .filter((st, i) => st.source === 'procedure' && counts[i] !== 0)
      .map((st) => ({ kinds: [st.kind], source: 'procedure' as const })),
  ];
  for (const { kinds, source } of writes) {
    const group = bySource[source];
    const ids = group.map((k) => k.id);
    const pointed = group.filter((k) => k.points);
    const rows =
      source === 'dossier' ? dossierValuesSql(kinds, group, LAYOUT) : procedureKpisSql(kinds[0]!, group);
    const purposes = source === 'dossier' ? DOSSIER_PURPOSES : PROCEDURE_PURPOSES;
    // Computed into a scratch table, then compared: one statement doing both took longer to plan.
    const valuesId = `${String(base.live_id)}:${source}:${kinds.join('+')}`;
    const params = {
      ...base,
      values_id: valuesId,
      computed_at: computedAt,
      kpi_ids: ids,
      scope_kinds: [...scope.scopeKinds],
    };
    await command(clickhouse, stageValuesSql(rows), {
      ...params,
      label: `kpi_stage_values_v1 <- ${source} ${kinds.join('+')}`,
    });
    await command(clickhouse, writeChangedValuesSql(kinds, purposes, STAGED_VALUES_SQL), {
      ...params,
      label: `kpi_values_v1 <- ${source} ${kinds.join('+')}`,
      ...targetRuleParams(ids),
      p_kpi: pointed.map((k) => k.id),
      p_max: pointed.map((k) => k.points?.max ?? 0),
      p_full: pointed.map((k) => k.points?.fullAt ?? 1),
      score_override_kpis: group.filter((k) => k.sql.score).map((k) => k.id),
    });
  }
}

async function runPeriodCounts(
  clickhouse: ClickHouse,
  groups: readonly { kind: PeriodKind; purposes: readonly string[] }[],
  base: Params,
): Promise<number[]> {
  const query = runPeriodCountsSql(groups);
  const began = performance.now();
  const [row] = await queryRows<Record<string, string | number>>(clickhouse, query, pick(query, base));
  (base.trace as KpiRunScope['trace'])?.('kpi_run_periods_v1 counts', performance.now() - began);
  return groups.map(({ kind }, i) => Number(row?.[`${kind}_${i}`] ?? 1));
}

/** Only the parameters a statement mentions are sent: ClickHouse rejects unused ones on some versions. */
function pick(query: string, params: Params): Params {
  return Object.fromEntries(Object.entries(params).filter(([k]) => query.includes(`{${k}:`)));
}

async function command(
  clickhouse: ClickHouse,
  query: string,
  params: Params,
  settings?: Record<string, string>,
): Promise<void> {
  const began = performance.now();
  await clickhouse.command({
    query,
    query_params: pick(query, params),
    abort_signal: params.signal as AbortSignal | undefined,
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
  const trace = params.trace as KpiRunScope['trace'];
  trace?.(String(params.label ?? statementLabel(query)), performance.now() - began);
}

async function exists(clickhouse: ClickHouse, query: string, params: Params): Promise<boolean> {
  const rows = await queryRows<{ n: string | number }>(clickhouse, query, pick(query, params));
  return Number(rows[0]?.n ?? 0) > 0;
}

/** A short constant label for a statement: its target table and the first source table. */
function statementLabel(query: string): string {
  const target = /(?:INSERT INTO|TRUNCATE TABLE) (\w+)/.exec(query)?.[1] ?? 'statement';
  const from = /FROM (\w+)/.exec(query)?.[1] ?? '';
  return `${target} <- ${from}`;
}

async function queryRows<T>(clickhouse: ClickHouse, query: string, params: Params = {}) {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

async function serverNow(clickhouse: ClickHouse): Promise<string> {
  const [row] = await queryRows<{ now: string }>(clickhouse, SERVER_NOW_SQL);
  if (!row) throw new Error('ClickHouse returned no time');
  return row.now;
}

async function saveProgress(clickhouse: ClickHouse, names: string[], watermark: string): Promise<void> {
  const updatedAt = await serverNow(clickhouse);
  await clickhouse.insert({
    table: WATERMARK_TABLE,
    values: names.map((name) => ({ name, watermark, updated_at: updatedAt })),
    format: 'JSONEachRow',
  });
}

async function countFacts(clickhouse: ClickHouse): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    clickhouse,
    'SELECT uniqExact(dossier_code) AS n FROM kpi_dossier_facts_v1',
  );
  return Number(row?.n ?? 0);
}

async function countStaged(clickhouse: ClickHouse, runId: string, role: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    clickhouse,
    'SELECT count() AS n FROM kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = {role:String}',
    { run_id: runId, role },
  );
  return Number(row?.n ?? 0);
}

// Table names are constants from this module; the run id is a parameter.
async function count(clickhouse: ClickHouse, table: string, runId: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    clickhouse,
    `SELECT count() AS n FROM ${table} WHERE run_id = {run_id:String}`,
    { run_id: runId },
  );
  return Number(row?.n ?? 0);
}

function dayFloor(now: string, scope: { dayHorizonDays?: number }): string {
  if (scope.dayHorizonDays === undefined) return EPOCH_DAY;
  return shiftMs(now, -scope.dayHorizonDays * 86_400_000).slice(0, 10);
}

/** A `YYYY-MM-DD HH:MM:SS.mmm` UTC timestamp as a Date. */
const utcDate = (timestamp: string) => new Date(`${timestamp.replace(' ', 'T')}Z`);

const maxString = (a: string, b: string) => (a > b ? a : b);
const minString = (a: string, b: string) => (a < b ? a : b);

/** Shifts a `YYYY-MM-DD HH:MM:SS.mmm` UTC timestamp by `ms`. */
export function shiftMs(timestamp: string, ms: number): string {
  const t = Date.parse(`${timestamp.replace(' ', 'T')}Z`) + ms;
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}
