import type { ClickHouse } from '@dossier/clickhouse';
import { cellLayoutFingerprint, dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { computeValues } from './compute-values.ts';
import { abandonGeneration, type Claim, claimGeneration, commitGeneration } from './generation-log.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import { PERIOD_KINDS } from './periods.ts';
import { type KpiRunOptions, type KpiRunResult, skipped } from './run-options.ts';
import { BUILD_FACTS_SQL } from './sql/facts.sql.ts';
import {
  BUILD_OPEN_FACTS_SQL,
  buildCellsSql,
  builtCells,
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
 * Builds facts, open facts and cells from scratch: the first cycle, a clock that went back, a backfill
 * with fresh facts. Interrupted, it is redone from the start by the next run (it begins by emptying them).
 */
export async function rebuild(
  clickhouse: ClickHouse,
  options: KpiRunOptions,
  kpis: KpiDefinition[],
  lease: HeldLease | undefined,
  plan: RebuildPlan,
): Promise<KpiRunResult> {
  const layout = dossierCellLayout();
  const claim: Claim = {
    gen: plan.gen,
    run_id: options.runId,
    kind: 'rebuild',
    judged_at: plan.now,
    window_to: plan.windowTo,
    day_floor: plan.dayFloor,
    layout: cellLayoutFingerprint(),
  };
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) {
    if (plan.periods !== 'all') throw new Error(`${lost}; retry later`);
    return skipped(options.runId, kpis, lost);
  }
  // Building stops at shutdown or when the lease is lost (the next run rebuilds); computing, only at the latter.
  const signals = [options.signal, lease?.lost].filter((s): s is AbortSignal => s !== undefined);
  const sql = statements(clickhouse, {
    trace: options.trace,
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
  });
  const at = { run_id: options.runId, live_id: options.runId, now: plan.now, day_floor: plan.dayFloor };
  const base: StatementParams = {
    ...at,
    from: EPOCH,
    to: plan.windowTo,
    previous_now: plan.previousNow,
    ...(plan.periods === 'all' ? {} : { from_date: plan.periods.from, to_date: plan.periods.to }),
  };
  try {
    for (const statement of REBUILD_TRUNCATE_SQL) await sql.command(statement, base);
    await sql.command(BUILD_FACTS_SQL, base);
    await sql.command(BUILD_OPEN_FACTS_SQL, base);
    for (const kind of PERIOD_KINDS) {
      await sql.command(buildCellsSql(kind, layout), base);
      await sql.command(scopeCellsSql(layout, builtCells(kind)), base);
      await sql.command(scopeProceduresSql(layout, builtCells(kind)), base);
    }
    for (const kind of options.periodKinds) {
      if (plan.periods === 'all') {
        await sql.command(touchedDossierPeriodsSql(kind, 'all'), base);
        await sql.command(touchedCatalogPeriodsSql(kind), base);
        await sql.command(touchedExternalPeriodsSql(kind), base);
        await sql.command(currentPeriodSql(kind), base);
      } else {
        await sql.command(rangePeriodsSql(kind), base);
      }
    }
  } catch (err) {
    // Half-built tables: the next run rebuilds at once rather than waiting for this claim to go stale.
    await abandonGeneration(clickhouse, claim).catch(() => {});
    throw err;
  }
  await computeValues(sql.withSignal(lease?.lost), kpis, options.scopeKinds, options.periodKinds, at);
  // A backfill's rebuild leaves the watermark to the cycles, as a range does.
  await commitGeneration(clickhouse, claim, kpis, plan.periods !== 'all');
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'rebuild',
    window: { from: EPOCH, to: plan.windowTo },
    dossiersRefreshed: await countFacts(clickhouse),
    periodsRecomputed: await sql.countRun('kpi_run_periods_v1', options.runId),
    rowsWritten: await sql.countRun('kpi_current_v1', options.runId),
  };
}

async function countFacts(clickhouse: ClickHouse): Promise<number> {
  const [row] = await statements(clickhouse).rows<{ n: string | number }>(
    'SELECT uniqExact(dossier_code) AS n FROM kpi_dossier_facts_v1',
  );
  return Number(row?.n ?? 0);
}
