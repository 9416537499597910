import type { ClickHouse } from '@dossier/clickhouse';
import { selectKpis } from './catalog.ts';
import { cellLayoutFingerprint, dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { applyShards, completeGeneration, settlePending } from './complete-generation.ts';
import {
  type Claim,
  claimGeneration,
  claimGenerationAt,
  commitGeneration,
  type Generation,
  liveChainOf,
  releasingOnFailure,
} from './generation-log.ts';
import { PERIOD_KINDS, type PeriodKind, periodStartOf } from './periods.ts';
import { rebuild } from './rebuild.ts';
import { computedKey, type KpiCycleOptions, type KpiRunResult, skipped } from './run-options.ts';
import { stageCrossedCellsSql } from './sql/crossed.sql.ts';
import { CROSSED_COUNT_SQL, CYCLE_PROBE_SQL } from './sql/cycle-probe.sql.ts';
import { STAGE_CANDIDATE_FACTS_SQL, STAGE_TOUCHED_CANDIDATE_FACTS_SQL } from './sql/facts.sql.ts';
import {
  STAGE_CHANGED_FACTS_SQL,
  STAGE_OPEN_FACTS_SQL,
  stageCycleDeltaSql,
  stageSettledAtMidnightSql,
} from './sql/generation.sql.ts';
import { EARLY_FINISHES_SQL } from './sql/live-cells.sql.ts';
import {
  CATALOG_BOUNDARIES_SQL,
  CATALOG_TOUCHED_DOSSIERS_SQL,
  currentPeriodsSql,
  type MonthsKind,
  TOUCHED_DOSSIERS_SQL,
  touchedCatalogPeriodsSql,
  touchedExternalPeriodsSql,
} from './sql/run-periods.sql.ts';
import { stageMonthsCycleDeltaSql } from './sql/settle-months.sql.ts';
import { type StatementParams, statements } from './statements.ts';
import { dayFloor, EPOCH, maxString, shiftMs, utcDate } from './utc.ts';

/**
 * One incremental cycle. Dossier KPIs are read from kpi_cells_v1, signed counts per period × admin level
 * × agency × field × procedure of every dossier's rows that no longer move with time; the open dossiers
 * (kpi_open_facts_v1) are judged at the cycle's instant on top. A cycle:
 * 1. lists the dossiers touched since the watermark (events or catalog rows ingested in the window) and
 *    stages the facts of those that changed;
 * 2. stages cell deltas: minus their old rows, plus their new ones, plus the open dossiers' rows that
 *    time settled since the last cycle (a period ended, a dossier finished or started);
 * 3. claims the next generation in the generation log (the first claim wins; a run that loses does nothing);
 * 4. applies the staged rows with the generation's deduplication tokens (no abandoning from here on),
 *    so a generation applied twice (a crash in between, another run finishing it) counts once;
 * 5. recomputes the touched periods and the current ones from the cells, writes the values that changed,
 *    and commits the generation.
 * Its cost follows the touched dossiers and the open ones, not the history. A cycle with nothing to count
 * or judge anew (quietCycle) only claims and commits its generation; one in the same running periods as
 * the last, with no catalog row or figure loaded, starts from the previous generation's live cells, adds
 * the change of the open dossiers that crossed a due time (or another instant of theirs) and of the
 * changed ones (sql/crossed.sql.ts), and recomputes the current periods for the scopes these reached.
 */
export async function runKpiCycle(clickhouse: ClickHouse, options: KpiCycleOptions): Promise<KpiRunResult> {
  const lease = await options.leases?.hold(options.runId);
  try {
    return await cycle(clickhouse, options, lease);
  } finally {
    await lease?.release();
  }
}

async function cycle(
  clickhouse: ClickHouse,
  options: KpiCycleOptions,
  lease: HeldLease | undefined,
): Promise<KpiRunResult> {
  const kpis = selectKpis();
  const layout = dossierCellLayout();
  const fingerprint = cellLayoutFingerprint();
  const sql = statements(clickhouse, { trace: options.trace, signal: options.signal });
  // The server's clock comes with the log (one read): this cycle's window ends there.
  const log = await settlePending(clickhouse, options, lease);
  if ('skipped' in log) return skipped(options.runId, kpis, log.skipped);
  // A dead run's rebuild finished by this one is this run's work: the next run cycles on top of it.
  if (log.resumed) return log.resumed;
  const { committed, serverNow: serverTime } = log;
  const gen = (committed?.gen ?? 0) + 1;
  const now = options.now ?? maxString(serverTime, committed?.judged_at ?? EPOCH);
  if (!committed || log.interrupted || now < committed.judged_at || committed.layout !== fingerprint) {
    return rebuild(clickhouse, options, kpis, lease, {
      gen,
      now,
      windowTo: serverTime,
      previousNow: committed?.judged_at ?? EPOCH,
      dayFloor: dayFloor(now, options),
      periods: 'all',
    });
  }

  const from = shiftMs(committed.window_to, -options.graceMs);
  const at = {
    run_id: options.runId,
    live_id: options.runId,
    now,
    day_floor: maxString(dayFloor(now, options), committed.day_floor),
  };
  const base: StatementParams = {
    ...at,
    from,
    to: serverTime,
    judged_before: committed.judged_at,
    previous_now: committed.judged_at,
  };
  options.onPhase?.('staging');
  const previousLive = liveChainOf(committed);
  const previous = {
    previous_live_base: previousLive?.base ?? '',
    previous_live_links: previousLive?.links ?? [],
  };
  const samePeriods = PERIOD_KINDS.every(
    (kind) => periodStartOf(kind, utcDate(committed.judged_at)) === periodStartOf(kind, utcDate(now)),
  );
  const computed = computedKey(options);
  const sameComputation = committed.computed === computed;
  // Statements over nothing are skipped: each costs its planning even when it reads no row. What the
  // cycle needs to know before staging is asked in one statement (CYCLE_PROBE_SQL).
  type Probe = 'catalog' | 'external' | 'dossiers' | 'due' | 'crossed' | 'ready' | 'grow';
  const [probe] = await sql.rows<Partial<Record<Probe, string | number>>>(
    CYCLE_PROBE_SQL,
    { ...base, ...previous, ask_crossed: Number(samePeriods && sameComputation) },
    'read cycle probe',
  );
  const catalogChanged = Number(probe?.catalog ?? 1) > 0;
  const externalLoaded = Number(probe?.external ?? 1) > 0;
  const due = Number(probe?.due ?? 1) > 0;
  // The dossiers with events ingested in the window (`dossiers` counts those events).
  const touched = Number(probe?.dossiers ?? 1) > 0;
  // The dossiers to refresh are listed (kpi_run_dossiers_v1) only when catalog rows add some to those with
  // events; else the candidate facts read the latter where they are (one statement fewer).
  if (touched && catalogChanged) await sql.command(TOUCHED_DOSSIERS_SQL, base);
  if (catalogChanged) await sql.command(CATALOG_TOUCHED_DOSSIERS_SQL, base);
  const toRefresh = catalogChanged
    ? await sql.countRun('kpi_run_dossiers_v1', options.runId)
    : Number(touched);
  if (toRefresh > 0) {
    await sql.command(catalogChanged ? STAGE_CANDIDATE_FACTS_SQL : STAGE_TOUCHED_CANDIDATE_FACTS_SQL, base, {
      label: 'kpi_stage_facts_v1 <- dossiers_v1',
    });
    await sql.command(STAGE_CHANGED_FACTS_SQL, base);
  }
  const dossiersRefreshed = toRefresh > 0 ? await countStaged(clickhouse, options.runId, 'new') : 0;
  const changed = dossiersRefreshed > 0;
  const claim: Claim = {
    gen,
    run_id: options.runId,
    kind: 'cycle',
    judged_at: now,
    window_to: serverTime,
    day_floor: committed.day_floor,
    layout: fingerprint,
    computed,
  };
  const onlyTime = !changed && !catalogChanged && !externalLoaded && samePeriods && sameComputation && !due;
  // The probe counts crossed dossiers only where no event was ingested; events that changed no fact
  // (a redelivery, an event no fact reads) leave a cycle of time passing alone, asked here.
  let crossed = Number(probe?.crossed ?? 1);
  if (onlyTime && touched) {
    const [count] = await sql.rows<{ n: string }>(CROSSED_COUNT_SQL, base, 'read crossed probe');
    crossed = Number(count?.n ?? 1);
  }
  if (onlyTime && crossed === 0) {
    return quietCycle(clickhouse, options, kpis, claim, from, committed);
  }
  // The same running periods, catalog and figures: the previous live cells plus the change of the dossiers
  // that crossed an instant or changed (sql/crossed.sql.ts), and only the scopes they moved in recomputed.
  const startable =
    !catalogChanged && !externalLoaded && samePeriods && sameComputation && previousLive !== undefined;
  const fromPrevious = startable && Number(probe?.ready ?? 0) > 0;
  const crossedFrom = fromPrevious ? committed.live_id : undefined;
  const previousChain =
    fromPrevious && previousLive ? { ...previousLive, grow: Number(probe?.grow ?? 0) > 0 } : undefined;
  if (crossedFrom !== undefined) {
    await sql.command(stageCrossedCellsSql(options.periodKinds, layout, changed), base, {
      label: `kpi_stage_cells_v1 <- crossed${changed ? ' + changed' : ''}`,
    });
  }
  for (const kind of options.periodKinds) {
    if (catalogChanged) await sql.command(touchedCatalogPeriodsSql(kind), base);
    if (externalLoaded) await sql.command(touchedExternalPeriodsSql(kind), base);
  }
  // On a new day the period the last cycle ran in keeps its procedure KPIs while its catalog snapshot is
  // the same (currentPeriodSql), when they were computed for what this run computes.
  const sameDay = periodStartOf('day', utcDate(committed.judged_at)) === periodStartOf('day', utcDate(now));
  const keepSnapshot = !sameDay && sameComputation;
  const [boundaries] = keepSnapshot
    ? await sql.rows<{ days: string[] }>(CATALOG_BOUNDARIES_SQL, base, 'read catalog validity boundaries')
    : [];
  // The current periods and the changed dossiers' of every kind in one statement (each costs its planning).
  await sql.command(
    currentPeriodsSql(
      options.periodKinds,
      crossedFrom === undefined ? 'dossier' : 'touched',
      keepSnapshot,
      changed,
    ),
    { ...base, catalog_boundaries: boundaries?.days ?? [] },
  );
  // Cells hold every period kind, whatever this run recomputes: the next run may ask for another. The kinds
  // with a delta (months, quarters and years that settle, every kind with changed dossiers) are staged in
  // one statement: one read of the open facts and of the changed dossiers' facts, one planning. A day that
  // settles is staged on its own: in stretches past STRETCHED_DAYS (a catch-up settles many days), else
  // one row per open dossier and day; across one midnight ending a month, with the kinds that ended at it.
  const deltaLabel = (settle: boolean, kinds: string) =>
    `kpi_stage_cells_v1 <- ${settle ? 'settled' : ''}${settle && changed ? ' + ' : ''}${changed ? 'changed' : ''} ${kinds}`;
  const deltaKinds: PeriodKind[] = [];
  const settledMonths: MonthsKind[] = [];
  const ended = (kind: PeriodKind) =>
    periodStartOf(kind, utcDate(committed.judged_at)) !== periodStartOf(kind, utcDate(now));
  // One city midnight crossed that ended a month too: the kinds whose period ended there settle in one pass
  // over the open dossiers (stageSettledAtMidnightSql), unless one finished before the day that ended (it
  // has no day row to pair). A day alone stays plain: one pass of the day's kind costs what it did.
  const endedAtMidnight = daysBetween(committed.judged_at, now) === 1 ? PERIOD_KINDS.filter(ended) : [];
  const atMidnight =
    endedAtMidnight.length > 1 &&
    Number((await sql.rows<{ n: string }>(EARLY_FINISHES_SQL, base, 'read early finishes'))[0]?.n ?? 1) === 0
      ? endedAtMidnight
      : [];
  if (atMidnight.length > 0) {
    await sql.command(stageSettledAtMidnightSql(atMidnight, layout), base, {
      label: `kpi_stage_cells_v1 <- settled at midnight ${atMidnight.join('+')}`,
    });
  }
  for (const kind of PERIOD_KINDS) {
    const settle = !atMidnight.includes(kind) && (due || ended(kind));
    if (kind === 'day' && settle) {
      const stretched = daysBetween(committed.judged_at, now) > STRETCHED_DAYS;
      await sql.command(stageCycleDeltaSql(kind, layout, { settle, changed }, stretched), base, {
        label: deltaLabel(settle, kind),
      });
    } else if (settle || changed) {
      deltaKinds.push(kind);
      if (settle && kind !== 'day') settledMonths.push(kind);
    }
  }
  const [only] = deltaKinds;
  if (only !== undefined) {
    const settle = settledMonths.length > 0;
    await sql.command(
      deltaKinds.length === 1
        ? stageCycleDeltaSql(only, layout, { settle, changed })
        : stageMonthsCycleDeltaSql(deltaKinds, layout, { settle: settledMonths, changed }),
      base,
      { label: deltaLabel(settle, deltaKinds.join('+')) },
    );
  }
  if (changed || due) await sql.command(STAGE_OPEN_FACTS_SQL, base);

  // Nothing is staged unless a dossier changed or time settled rows (the stage statements above).
  const staged = changed || due || !samePeriods;
  const shards = staged ? await applyShards(sql, options.runId) : 1;
  const { lost, serverNow: claimedAt } = await claimGenerationAt(clickhouse, claim, shards);
  if (lost) return skipped(options.runId, kpis, lost);
  options.onPhase?.('claimed');
  const totals = await releasingOnFailure(clickhouse, claim, () =>
    completeGeneration(sql.withSignal(lease?.lost), kpis, options, claim, at, {
      staged,
      shards,
      // Facts are staged only for changed dossiers ('new') and open ones that changed or settled ('open').
      stagedFacts: changed || due,
      crossedFrom,
      previousChain,
      changedDossiers: dossiersRefreshed,
      liveChainLinks: options.liveChainLinks,
      // On the previous cycle's day with no catalog row ingested, every kind's current period is listed
      // for the dossier KPIs and the index ('dossier' or 'touched': currentPeriodsSql), none for the
      // catalog's (its 'procedure' and 'all' periods come with catalog rows or a new day).
      knownDue:
        sameDay && !catalogChanged && periodStartOf('day', utcDate(now)) >= at.day_floor
          ? ['dossier', 'index766']
          : undefined,
      computedAt: claimedAt,
      totalsOf: options.runId,
    }),
  );
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'cycle',
    window: { from, to: serverTime },
    dossiersRefreshed,
    ...(totals ?? (await sql.runTotals(options.runId))),
  };
}

/**
 * A cycle with nothing to count or judge anew: no changed dossier, catalog row or figure, the same periods
 * of every kind, and no open dossier whose verdict turned since the last instant. Every cell, live cell
 * and value it would compute equals the previous generation's, so it commits its generation (the new
 * instant and watermark) without recomputing: an idle cycle's cost no longer follows the open dossiers.
 * A run dying after the claim leaves a generation with nothing staged, which the next run finishes as any.
 */
async function quietCycle(
  clickhouse: ClickHouse,
  options: KpiCycleOptions,
  kpis: ReturnType<typeof selectKpis>,
  claim: Claim,
  from: string,
  /** The previous generation: its live cells are still the open dossiers' rows at this instant. */
  previous: Generation,
): Promise<KpiRunResult> {
  const lost = await claimGeneration(clickhouse, claim);
  if (lost) return skipped(options.runId, kpis, lost);
  options.onPhase?.('claimed');
  await releasingOnFailure(clickhouse, claim, async () => {
    options.onPhase?.('applied');
    options.onPhase?.('computed');
    await commitGeneration(clickhouse, claim, kpis, false, previous.live_id, liveChainOf(previous));
  });
  options.onPhase?.('committed');
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    mode: 'cycle',
    window: { from, to: claim.window_to },
    dossiersRefreshed: 0,
    periodsRecomputed: 0,
    rowsWritten: 0,
  };
}

/**
 * Up to this many city days settled at once, a day's settled rows are one per open dossier and day; past
 * it, one per stretch of days over which a dossier's row is the same (settledStretchesSql), spread over its
 * days. Both give the same cells. Over a few days the stretches' arrays cost more than the rows: the
 * settled day's rows on a 1M store (170,327 open dossiers), stretched against plain, CPU-s: 1 day
 * 0.63-0.79 / 0.29-0.35, 2 days 0.67-0.74 / 0.35-0.38, 4 days 0.87-0.95 / 0.71-0.72, 7 days 1.32 / 1.40
 * (bench/README.md; measured before a stretch's days were spread as steps, cells.sql.ts cellsSql, which made
 * the 35-day catch-up's statement ~55% cheaper: the threshold may now lie lower, not measured). Staged with
 * the months, quarters and years in their statement instead, the year rollover's settled rows cost more
 * than on their own (1.68-1.85 against 1.44-1.66).
 */
export const STRETCHED_DAYS = 4;

/** City days from the one of `from` to the one of `to` (UTC instants as text). */
function daysBetween(from: string, to: string): number {
  const day = (at: string) => Date.parse(`${periodStartOf('day', utcDate(at))}T00:00:00Z`);
  return Math.round((day(to) - day(from)) / 86_400_000);
}

async function countStaged(clickhouse: ClickHouse, runId: string, role: string): Promise<number> {
  const [row] = await statements(clickhouse).rows<{ n: string | number }>(
    'SELECT count() AS n FROM kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = {role:String}',
    { run_id: runId, role },
  );
  return Number(row?.n ?? 0);
}
