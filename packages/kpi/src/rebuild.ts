import type { ClickHouse } from '@dossier/clickhouse';
import { BUILD_AT_RISK_OPEN_SQL } from './at-risk/at-risk.sql.ts';
import { selectKpis } from './catalog.ts';
import { cellLayoutFingerprint, dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { computeValues } from './compute-values.ts';
import {
  abandonGeneration,
  type Claim,
  claimGeneration,
  commitGeneration,
  type Generation,
  releaseGeneration,
  releasingOnFailure,
} from './generation-log.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import { PERIOD_KINDS } from './periods.ts';
import {
  cellShardsFor,
  type RebuildSlicing,
  readSteps,
  rebuildId,
  recordStep,
  sliceBounds,
  sliceDossiersFor,
  sliceRange,
  sliceStep,
  statementCap,
} from './rebuild-steps.ts';
import { computedKey, type KpiRunOptions, type KpiRunResult, skipped } from './run-options.ts';
import { BUILD_FACTS_SQL } from './sql/facts.sql.ts';
import {
  BUILD_OPEN_FACTS_SQL,
  buildCellsSql,
  builtCells,
  CELLS_TRUNCATE_SQL,
  REBUILD_TRUNCATE_SQL,
  scopeCellsSql,
  scopeProceduresSql,
} from './sql/generation.sql.ts';
import {
  currentPeriodSql,
  rangePeriodsSql,
  touchedCatalogPeriodsSql,
  touchedDossierPeriodsSql,
  touchedExternalPeriodsSql,
} from './sql/run-periods.sql.ts';
import { type StatementParams, statements } from './statements.ts';
import { EPOCH } from './utc.ts';

export interface RebuildPlan {
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
 * Builds facts, open facts and cells from scratch: the first cycle, a clock that went back, a cell-layout
 * change, a backfill with fresh facts. The facts are built in slices of the dossiers (bounded memory, see
 * BUILD_FACTS_SQL; as many dossiers as half the statement cap holds, sliceDossiersFor), each recorded in kpi_rebuild_steps_v1 once written; a run that dies part way is
 * resumed from its last finished slice by the next one (resumeRebuild). Until the rebuild commits, the
 * values of the previous generation stay in kpi_latest: it replaces them only when it computes its own.
 */
export async function rebuild(
  clickhouse: ClickHouse,
  options: KpiRunOptions,
  kpis: KpiDefinition[],
  lease: HeldLease | undefined,
  plan: RebuildPlan,
): Promise<KpiRunResult> {
  const claim: Claim = {
    gen: plan.gen,
    run_id: options.runId,
    kind: 'rebuild',
    judged_at: plan.now,
    window_to: plan.windowTo,
    day_floor: plan.dayFloor,
    layout: cellLayoutFingerprint(),
    // A backfill's rebuild recomputes the values of its range only: a cycle after it recomputes.
    computed: plan.periods === 'all' ? computedKey(options) : '',
  };
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) {
    if (plan.periods !== 'all') throw new Error(`${lost}; retry later`);
    return skipped(options.runId, kpis, lost);
  }
  return build(clickhouse, options, kpis, lease, claim, plan.previousNow, plan.periods);
}

/**
 * Takes over a claimed rebuild whose run is dead or gave up (called by settlePending): this run claims
 * the same generation (same instant, window and day floor; of two runs taking over at once the first
 * claim wins) and goes on from the steps recorded as done. Undefined when there is nothing to resume (it
 * stopped before its first step, or the cell layout changed since): the caller abandons it.
 */
export async function resumeRebuild(
  clickhouse: ClickHouse,
  options: KpiRunOptions,
  lease: HeldLease | undefined,
  pending: Generation,
  previousNow: string,
): Promise<KpiRunResult | undefined> {
  if (pending.layout !== cellLayoutFingerprint()) return undefined;
  const slicing = (await readSteps(clickhouse, rebuildId(pending))).get('plan');
  if (slicing === undefined) return undefined;
  await abandonGeneration(clickhouse, pending);
  const claim: Claim = {
    gen: pending.gen,
    run_id: options.runId,
    kind: 'rebuild',
    judged_at: pending.judged_at,
    window_to: pending.window_to,
    day_floor: pending.day_floor,
    layout: pending.layout,
    computed: pending.computed === '' ? '' : computedKey(options),
  };
  const kpis = selectKpis();
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) return skipped(options.runId, kpis, lost);
  return build(clickhouse, options, kpis, lease, claim, previousNow, undefined);
}

async function build(
  clickhouse: ClickHouse,
  options: KpiRunOptions,
  kpis: KpiDefinition[],
  lease: HeldLease | undefined,
  claim: Claim,
  previousNow: string,
  /** A fresh rebuild's periods; undefined when resuming (they are recorded). */
  periods: RebuildPlan['periods'] | undefined,
): Promise<KpiRunResult> {
  const layout = dossierCellLayout();
  // Building stops at shutdown or when the lease is lost (the next run resumes); computing, only at the latter.
  const signals = [options.signal, lease?.lost].filter((s): s is AbortSignal => s !== undefined);
  const sql = statements(clickhouse, {
    trace: options.trace,
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
  });
  const id = rebuildId(claim);
  const at = {
    run_id: options.runId,
    live_id: options.runId,
    now: claim.judged_at,
    day_floor: claim.day_floor,
  };
  let slicing: RebuildSlicing;
  // What the slices, the cells and the Decision 766 statement's periods are cut by: the cap this client's
  // statements run under.
  let cap = 0;
  try {
    cap = await statementCap(clickhouse);
    const done = await readSteps(clickhouse, id);
    const recorded = done.get('plan');
    if (recorded !== undefined) {
      slicing = JSON.parse(recorded) as RebuildSlicing;
    } else {
      if (periods === undefined) throw new Error(`rebuild ${id} has no recorded plan to resume`);
      for (const statement of REBUILD_TRUNCATE_SQL) await sql.command(statement, {});
      const perSlice = options.rebuildSliceDossiers ?? sliceDossiersFor(cap);
      slicing = { bounds: await sliceBounds(clickhouse, perSlice), periods };
      await recordStep(clickhouse, id, options.runId, 'plan', JSON.stringify(slicing));
    }
    const range = slicing.periods;
    const base: StatementParams = {
      ...at,
      from: EPOCH,
      to: claim.window_to,
      previous_now: previousNow,
      ...(range === 'all' ? {} : { from_date: range.from, to_date: range.to }),
    };
    const of = slicing.bounds.length;
    for (let i = 0; i < of; i++) {
      const step = sliceStep(i, of);
      if (done.has(step)) continue;
      await sql.command(
        BUILD_FACTS_SQL,
        { ...base, ...sliceRange(slicing.bounds, i) },
        {
          label: 'kpi_dossier_facts_v1 <- dossiers_v1 slice',
        },
      );
      await recordStep(clickhouse, id, options.runId, step);
    }
    // Open facts, cells and scopes come from the facts in a few statements whose memory follows the
    // number of cells, not of dossiers; interrupted, they are redone from empty tables.
    if (!done.has('cells')) {
      for (const statement of CELLS_TRUNCATE_SQL) await sql.command(statement, {});
      await sql.command(BUILD_OPEN_FACTS_SQL, base);
      await sql.command(BUILD_AT_RISK_OPEN_SQL, base);
      const shards = cellShardsFor(cap);
      for (const kind of PERIOD_KINDS) {
        if (shards === 1) await sql.command(buildCellsSql(kind, layout), base);
        for (let shard = 0; shards > 1 && shard < shards; shard++) {
          await sql.command(buildCellsSql(kind, layout, true), { ...base, shards, shard });
        }
        await sql.command(scopeCellsSql(layout, builtCells(kind), true), base);
        await sql.command(scopeProceduresSql(layout, builtCells(kind), true), base);
      }
      await recordStep(clickhouse, id, options.runId, 'cells');
    }
    for (const kind of options.periodKinds) {
      if (range === 'all') {
        await sql.command(touchedDossierPeriodsSql(kind, 'all'), base);
        await sql.command(touchedCatalogPeriodsSql(kind), base);
        await sql.command(touchedExternalPeriodsSql(kind), base);
        await sql.command(currentPeriodSql(kind), base);
      } else {
        await sql.command(rangePeriodsSql(kind), base);
      }
    }
  } catch (err) {
    // The next run resumes at once from the last recorded step rather than waiting for this claim to go stale.
    await releaseGeneration(clickhouse, claim).catch(() => {});
    throw err;
  }
  await releasingOnFailure(clickhouse, claim, async () => {
    // A backfill's rebuild leaves the watermark to the cycles, as a range does.
    const all = slicing.periods === 'all';
    await computeValues(sql.withSignal(lease?.lost), kpis, options.scopeKinds, options.periodKinds, at, {
      keepRunningIndex766Inputs: all,
      index766Parts: cellShardsFor(cap),
      onWarning: options.onWarning,
    });
    await commitGeneration(clickhouse, claim, kpis, !all, all ? at.live_id : '');
  });
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'rebuild',
    window: { from: EPOCH, to: claim.window_to },
    dossiersRefreshed: await countFactDossiers(clickhouse),
    ...(await sql.runTotals(options.runId)),
  };
}

/**
 * Dossiers in the facts. Not `uniqExact(dossier_code)`: its set of every dossier's code grows with the
 * history and at 50M dossiers failed the pipeline's memory limit after the rebuild had committed. The
 * table is ordered by `dossier_code`, so `FINAL` collapses a dossier's versions by merging sorted
 * streams, in memory that follows the number of parts, not of dossiers.
 */
export async function countFactDossiers(clickhouse: ClickHouse): Promise<number> {
  const [row] = await statements(clickhouse).rows<{ n: string | number }>(
    'SELECT count() AS n FROM kpi_dossier_facts_v1 FINAL',
  );
  return Number(row?.n ?? 0);
}
