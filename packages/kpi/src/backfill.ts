import type { ClickHouse } from '@dossier/clickhouse';
import { selectKpis } from './catalog.ts';
import { cellLayoutFingerprint, dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { applyShards, completeGeneration, settlePending } from './complete-generation.ts';
import { type Claim, claimGeneration, releasingOnFailure } from './generation-log.ts';
import { rebuild } from './rebuild.ts';
import type { BackfillOptions, KpiRunResult } from './run-options.ts';
import { stageRangeDeltaSql } from './sql/generation.sql.ts';
import { rangePeriodsSql } from './sql/run-periods.sql.ts';
import { type StatementParams, statements } from './statements.ts';
import { dayFloor, EPOCH, EPOCH_DAY, maxString, minString } from './utc.ts';

/** Recomputes every period overlapping a date range, for all or some KPIs; leaves the watermark alone. */
export async function backfillKpis(clickhouse: ClickHouse, options: BackfillOptions): Promise<KpiRunResult> {
  const lease = await options.leases?.hold(options.runId);
  try {
    return await backfill(clickhouse, options, lease);
  } finally {
    await lease?.release();
  }
}

async function backfill(
  clickhouse: ClickHouse,
  options: BackfillOptions,
  lease: HeldLease | undefined,
): Promise<KpiRunResult> {
  const kpis = selectKpis(options.kpiIds);
  const layout = dossierCellLayout();
  const fingerprint = cellLayoutFingerprint();
  const sql = statements(clickhouse, { trace: options.trace, signal: options.signal });
  const log = await settlePending(clickhouse, options, lease);
  if ('skipped' in log) {
    throw new Error(`another KPI computation holds the next generation (${log.skipped}); retry later`);
  }
  const serverTime = log.serverNow;
  const { committed } = log;
  const gen = (committed?.gen ?? 0) + 1;
  if (!committed || log.interrupted || options.refreshFacts !== false || committed.layout !== fingerprint) {
    const now = options.now ?? maxString(serverTime, committed?.judged_at ?? EPOCH);
    return rebuild(clickhouse, options, kpis, lease, {
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
  const at = {
    run_id: options.runId,
    live_id: options.runId,
    now: committed.judged_at,
    // A backfill recomputes exactly the range it is asked for, however old.
    day_floor: EPOCH_DAY,
  };
  const base: StatementParams = { ...at, from_date: options.fromDate, to_date: options.toDate };
  for (const kind of options.periodKinds) await sql.command(rangePeriodsSql(kind), base);
  for (const kind of options.periodKinds) await sql.command(stageRangeDeltaSql(kind, layout), base);
  const claim: Claim = {
    gen,
    run_id: options.runId,
    kind: 'range',
    judged_at: committed.judged_at,
    window_to: committed.window_to,
    day_floor: committed.day_floor,
    layout: fingerprint,
    computed: '',
  };
  const shards = await applyShards(sql, options.runId);
  if (await claimGeneration(clickhouse, claim, shards)) {
    throw new Error(`another KPI computation claimed generation ${gen} first; retry later`);
  }
  await releasingOnFailure(clickhouse, claim, () =>
    completeGeneration(sql.withSignal(lease?.lost), kpis, options, claim, at, { staged: true, shards }),
  );
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'range',
    dossiersRefreshed: 0,
    ...(await sql.runTotals(options.runId)),
  };
}
