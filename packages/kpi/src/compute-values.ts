import { dossierCellLayout } from './cell-layout.ts';
import type { LiveChain } from './generation-log.ts';
import { INDEX766_SCOPES } from './index766/kpis.ts';
import { index766PeriodRuns } from './index766/period-chunks.ts';
import type { ChainLimits } from './index766/stored-inputs.ts';
import { type Index766Inputs, readIndex766Inputs } from './index766-inputs.ts';
import { computeRunningIndex766, storeRunningIndex766Inputs } from './index766-running.ts';
import { computeIndex766FromInputs } from './index766-statement.ts';
import type { KpiDefinition, KpiSource } from './kpi-definition.ts';
import type { PeriodKind, ScopeKind } from './periods.ts';
import { DOSSIER_PURPOSES, dossierValuesSql, dossierWriteKeysSql } from './sql/cells.sql.ts';
import { LIVE_CHAIN_LIMITS, stageLiveFromCrossedSql } from './sql/crossed.sql.ts';
import { stageLiveCellsSql } from './sql/generation.sql.ts';
import {
  INDEX766_PERIOD_KINDS,
  INDEX766_PURPOSES,
  index766Keyed,
  index766KeysNeedSql,
  index766KeysSql,
  index766ValuesSql,
} from './sql/index766-values.sql.ts';
import { stageLiveScopesSql } from './sql/live-scopes.sql.ts';
import { PROCEDURE_PURPOSES, procedureKpisSql } from './sql/procedure-kpis.sql.ts';
import { runPeriodCountsSql } from './sql/run-periods.sql.ts';
import { STAGED_VALUES_SQL, stageValuesSql, writeChangedValuesSql } from './sql/write-values.sql.ts';
import type { StatementParams, Statements } from './statements.ts';
import { targetRuleParams } from './targets.ts';

/** Where a run's values are computed: its periods (kpi_run_periods_v1) judged at one instant. */
export interface ValuesAt {
  /** Owner of the run's periods (the claiming run's id when a later run finishes its generation). */
  run_id: string;
  /** Owner of the live cells and staged values computed here. */
  live_id: string;
  /** The instant open dossiers are judged at. */
  now: string;
  /** First day period recomputed. */
  day_floor: string;
}

export interface ComputeOptions {
  /**
   * Skip the Decision 766 statement when none of its inputs changed since its periods' values were last
   * written (index766-inputs.ts): cycles do; a rebuild recomputes everything.
   */
  skipUnchangedIndex766?: boolean;
  /**
   * A crossing-only cycle (kpi-cycle.ts): the live cells are the previous generation's (this owner's)
   * plus the crossed dossiers' change the run staged, not a pass over every open dossier.
   */
  crossedFrom?: string;
  /**
   * With `crossedFrom`: where the previous generation's live cells are, and whether their chain may grow
   * (its base is young enough: PREVIOUS_LIVE_READY_SQL). Below LIVE_CHAIN_LIMITS the run's live cells are
   * that chain plus its own crossed rows and nothing is written; else they are written whole.
   */
  previousChain?: LiveChain & { grow: boolean };
  /**
   * With `crossedFrom`: how many dossiers changed in the run; many, the Decision 766 running path does not
   * ask which agencies moved (index766-running.ts MANY_CHANGED).
   */
  changedDossiers?: number;
  /** The chain's length limit (default LIVE_CHAIN_LIMITS.links). */
  liveChainLinks?: number;
  /**
   * Keep the running periods' Decision 766 inputs after its statement (a rebuild whose live id is
   * committed): the cycles after it start from them (index766-running.ts) instead of reading them anew.
   */
  keepRunningIndex766Inputs?: boolean;
  /**
   * Compute the Decision 766 periods the running path does not from stored inputs instead of the index's
   * statement (index766-statement.ts), leaving the running periods' inputs for the next cycles: cycles do.
   */
  index766FromInputs?: boolean;
  /** How long a chain of stored Decision 766 inputs grows (index766-running.ts). */
  chainLimits?: ChainLimits;
  /**
   * The sources due in every period kind, when the caller knows them (a claiming cycle on the day of the
   * previous one, with no catalog row ingested: its current periods are listed for the dossier KPIs and
   * the index, none for the catalog's), so the run's periods are not counted (runPeriodCounts).
   */
  knownDue?: readonly KpiSource[];
  /**
   * The values' computed_at: the server's clock read after the run's claim (claimGenerationAt), hence after
   * every earlier generation's values were written; read here when not given.
   */
  computedAt?: string;
  /**
   * Statements the Decision 766 statement's periods may be cut into (index766/period-chunks.ts), its
   * kept running inputs' too: a rebuild under a small cap (rebuild-steps.ts cellShardsFor). Default 1.
   */
  index766Parts?: number;
  /** Told what was done without (a rebuild's kept inputs that could not be stored). */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

const PURPOSES: Record<KpiSource, readonly string[]> = {
  dossier: DOSSIER_PURPOSES,
  procedure: PROCEDURE_PURPOSES,
  index766: INDEX766_PURPOSES,
};

/**
 * The run's live cells (open dossiers judged at `now`), then every value statement of its periods: the
 * values are computed into a scratch table and only those that differ from kpi_current_v1 are written
 * to kpi_values_v1.
 */
export async function computeValues(
  sql: Statements,
  kpis: KpiDefinition[],
  scopeKinds: readonly ScopeKind[],
  periodKinds: readonly PeriodKind[],
  at: ValuesAt,
  options: ComputeOptions = {},
): Promise<LiveChain> {
  const layout = dossierCellLayout();
  // Later than every value already written (kpi_current_v1 keeps the row with the latest computed_at).
  const computedAt = options.computedAt ?? (await sql.serverNow());
  const bySource: Record<KpiSource, KpiDefinition[]> = {
    dossier: kpis.filter((k) => k.source === 'dossier'),
    procedure: kpis.filter((k) => k.source === 'procedure'),
    index766: kpis.filter((k) => k.source === 'index766'),
  };
  const index766Scopes = scopeKinds.filter((s) => INDEX766_SCOPES.includes(s));
  const statements = periodKinds.flatMap((kind) =>
    (['dossier', 'procedure', 'index766'] as const)
      .filter((source) => bySource[source].length > 0)
      .filter(
        (source) =>
          source !== 'index766' || (INDEX766_PERIOD_KINDS.includes(kind) && index766Scopes.length > 0),
      )
      .map((source) => ({ kind, source, purposes: PURPOSES[source] })),
  );
  // A statement over no period writes nothing but still costs its planning and catalog reads.
  const known = options.knownDue;
  const counts = known
    ? statements.map((st) => Number(known.includes(st.source)))
    : await runPeriodCounts(sql, statements, at);
  const due = statements.filter((_, i) => counts[i] !== 0);
  const kindsOf = (source: KpiSource) => due.filter((st) => st.source === source).map((st) => st.kind);
  const liveKinds = [...new Set([...kindsOf('dossier'), ...kindsOf('index766')])];
  // The run's live cells: the previous chain plus its crossed rows (written before its claim, under its
  // {run_id}: a run finishing another's generation has no crossedFrom and writes them whole), else whole.
  let chain: LiveChain = { base: at.live_id, links: [] };
  const previous = options.crossedFrom !== undefined ? options.previousChain : undefined;
  if (
    liveKinds.length > 0 &&
    previous?.grow &&
    previous.links.length < (options.liveChainLinks ?? LIVE_CHAIN_LIMITS.links)
  ) {
    chain = { base: previous.base, links: [...previous.links, at.run_id] };
  } else if (liveKinds.length > 0 && options.crossedFrom !== undefined) {
    await sql.command(
      stageLiveFromCrossedSql(layout),
      {
        ...at,
        previous_live_base: previous?.base ?? options.crossedFrom,
        previous_live_links: previous?.links ?? [],
      },
      { label: 'kpi_stage_cells_v1 <- live + crossed' },
    );
  } else if (liveKinds.length > 0) {
    await sql.command(stageLiveCellsSql(liveKinds, layout, at.now), at, {
      label: 'kpi_stage_cells_v1 <- live',
    });
  }
  // A base of live cells written here: its sums per scope too, which the dossier values read instead.
  if (liveKinds.length > 0 && chain.base === at.live_id) {
    await sql.command(stageLiveScopesSql(layout), at, { label: 'kpi_stage_cells_v1 <- live scopes' });
  }
  const live = { ...at, live_base: chain.base, live_links: chain.links };
  // The dossier KPIs of every kind in one statement (planning one costs about what running it does), the
  // catalog KPIs (due only when the day or the catalog changed) and the Decision 766 index likewise.
  const writes = [
    ...(kindsOf('dossier').length > 0 ? [{ kinds: kindsOf('dossier'), source: 'dossier' as const }] : []),
    ...(kindsOf('procedure').length > 0
      ? [{ kinds: kindsOf('procedure'), source: 'procedure' as const }]
      : []),
    ...(kindsOf('index766').length > 0 ? [{ kinds: kindsOf('index766'), source: 'index766' as const }] : []),
  ];
  for (const { kinds, source } of writes) {
    const ids = bySource[source].map((k) => k.id);
    // Computed into a scratch table, then compared: one statement doing both took longer to plan.
    const params: StatementParams = {
      ...live,
      values_id: `${at.live_id}:${source}:${kinds.join('+')}`,
      computed_at: computedAt,
      kpi_ids: ids,
      scope_kinds: source === 'index766' ? index766Scopes : [...scopeKinds],
    };
    const writeParams = {
      ...params,
      ...targetRuleParams(ids),
      stated_score_kpis: source === 'index766' ? ids : [],
    };
    let inputs: Index766Inputs | undefined;
    if (
      source === 'index766' &&
      (await computeRunningIndex766(sql, {
        kinds,
        layout,
        params: { ...params, stated_score_kpis: writeParams.stated_score_kpis },
        previousLiveId: options.crossedFrom,
        changedDossiers: options.changedDossiers,
        chainLimits: options.chainLimits,
        write: (runningKeys, running) =>
          sql.command(
            writeChangedValuesSql(kinds, PURPOSES[source], STAGED_VALUES_SQL, runningKeys),
            { ...writeParams, ...running },
            { label: `kpi_values_v1 <- ${source} ${kinds.join('+')}` },
          ),
      }))
    ) {
      continue;
    }
    if (source === 'index766') {
      // The statement's text as it reads a chain of either form, with its keys filter: its fingerprint must
      // not change with the chain's (the two read the same cells), nor with whether the filter is taken
      // (the same values), or the cycle after a whole write would run it again.
      const canonical = stageValuesSql(index766ValuesSql(kinds, layout));
      const write = writeChangedValuesSql(kinds, PURPOSES[source], STAGED_VALUES_SQL, index766KeysSql(kinds));
      const text = JSON.stringify([canonical, write, ids, writeParams.scope_kinds, targetRuleParams(ids)]);
      inputs = await readIndex766Inputs(sql, kinds, layout, params, text);
      if (options.skipUnchangedIndex766 && inputs.unchanged) continue;
      await inputs.invalidate();
    }
    // The Decision 766 statement filtered by index766KeysSql only where that pays (index766Keyed).
    const keyed = source === 'index766' && (await index766KeysNeeded(sql, kinds, params));
    const keys =
      source === 'dossier' ? dossierWriteKeysSql(kinds) : keyed ? index766KeysSql(kinds) : undefined;
    const writeValues = () =>
      sql.command(writeChangedValuesSql(kinds, PURPOSES[source], STAGED_VALUES_SQL, keys), writeParams, {
        label: `kpi_values_v1 <- ${source} ${kinds.join('+')}`,
      });
    if (
      source === 'index766' &&
      options.index766FromInputs &&
      (options.index766Parts ?? 1) <= 1 &&
      (await computeIndex766FromInputs(sql, {
        kinds,
        layout,
        params,
        keyed,
        linked: chain.links.length > 0,
        previousLiveId: options.crossedFrom,
        chainLimits: options.chainLimits,
        write: writeValues,
      }))
    ) {
      await inputs?.record();
      continue;
    }
    const rows =
      source === 'dossier'
        ? dossierValuesSql(kinds, bySource.dossier, layout)
        : source === 'procedure'
          ? procedureKpisSql(kinds, bySource.procedure)
          : index766ValuesSql(kinds, layout, chain.links.length > 0, keyed);
    const stage = stageValuesSql(rows);
    // The Decision 766 statement over its periods at once, or part by part under a small cap.
    const runs =
      source === 'index766'
        ? await index766PeriodRuns(sql, kinds, params, options.index766Parts ?? 1)
        : [params.run_id];
    for (const run_id of runs) {
      await sql.command(
        stage,
        { ...params, run_id },
        { label: `kpi_stage_values_v1 <- ${source} ${kinds.join('+')}` },
      );
    }
    await writeValues();
    await inputs?.record();
    if (source === 'index766' && options.keepRunningIndex766Inputs) {
      // A head start for the next cycles only: failing it must not fail the rebuild, which would fail
      // the same way each time it is resumed. Without them the next cycle reads the inputs anew.
      await storeRunningIndex766Inputs(sql, kinds, layout, params, options.index766Parts).catch(
        (err: unknown) => {
          if (sql.signal?.aborted) throw err;
          options.onWarning?.('index766 running inputs not kept: the next cycle reads them anew', {
            err,
            live_id: params.live_id,
          });
        },
      );
    }
  }
  return chain;
}

/** Whether the run's Decision 766 statement takes its keys filter (index766KeysNeedSql, index766Keyed). */
async function index766KeysNeeded(
  sql: Statements,
  kinds: readonly PeriodKind[],
  params: StatementParams,
): Promise<boolean> {
  const [need] = await sql.rows<Record<'touched_only' | 'period_agencies' | 'catalog', string | number>>(
    index766KeysNeedSql(kinds),
    params,
    'index766 keys need',
  );
  return need !== undefined && index766Keyed(need);
}

async function runPeriodCounts(
  sql: Statements,
  groups: readonly { kind: PeriodKind; purposes: readonly string[] }[],
  at: ValuesAt,
): Promise<number[]> {
  const began = performance.now();
  const [row] = await sql.rows<Record<string, string | number>>(runPeriodCountsSql(groups), at);
  sql.trace?.('kpi_run_periods_v1 counts', performance.now() - began);
  return groups.map(({ kind }, i) => Number(row?.[`${kind}_${i}`] ?? 1));
}
