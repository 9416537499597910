import { readIndex766Periods } from './index766/period-chunks.ts';
import { RUNNING_PERIODS_SQL } from './index766/running-deltas.ts';
import {
  CHAIN_MARKERS_SQL,
  type Chain,
  type ChainLimits,
  chainOf,
  chainRowsSql,
  INPUT_COLUMNS,
  type MarkerRow,
  periodKey,
  storeMarkers,
  storeMarkersOnChain,
} from './index766/stored-inputs.ts';
import { scopeInputs } from './index766-running.ts';
import { type PeriodKind, periodStartOf } from './periods.ts';
import type { CellLayout } from './sql/cells.sql.ts';
import { INDEX766_SETS, INDEX766_SUMS, index766ScopeInputsSql } from './sql/index766-sources.sql.ts';
import { INDEX766_PURPOSES, index766KeysSql, index766ValuesSql } from './sql/index766-values.sql.ts';
import { runPeriodPairsSql } from './sql/run-periods.sql.ts';
import { stageValuesSql } from './sql/write-values.sql.ts';
import type { StatementParams, Statements } from './statements.ts';
import { utcDate } from './utc.ts';

/**
 * The Decision 766 index of a cycle's periods when the running path (index766-running.ts) cannot compute
 * them (late data in settled periods, a new day or year, a catalog row or figure loaded), in place of the
 * index's statement, so that the cycle leaves the running periods' inputs as the running path would
 * have: the statement's input part (index766ScopeInputsSql, with its keys filter when the statement takes
 * it) is stored in kpi_index766_scope_inputs_v1 (the running periods' rows under the live id, the others'
 * under a scratch tag), scored by the statement's own scoring layers over the stored rows
 * (index766ValuesSql given them as its inputs: the same values, the sets never leave the engine), staged,
 * and written by the statement's own write (the same keys compared). The running periods' markers are
 * written last: a tag holding every scope (parent ''), or, where the keys filter kept only the city and
 * the chains of the agencies that moved (a period only 'touched', in a cycle starting from the previous
 * live cells), on the previous generation's chain, which holds the other scopes' inputs unchanged
 * (index766KeysSql says why): the scopes stored are read anew at the run's instant, so either way each
 * scope's row through the chain is its inputs now. Without such a chain the caller runs the statement.
 * The next cycle on the running path then adds its deltas to these rows instead of reading every scope
 * anew. Crash safety is the running path's: rows first, markers last, and no tag is started from unless
 * its generation was committed.
 */

export interface StatementInputsOptions {
  kinds: readonly PeriodKind[];
  layout: CellLayout;
  /** The values statement's parameters (run_id, live_id, now, day_floor, live chain, values_id …). */
  params: StatementParams;
  /** Whether the statement takes its keys filter (compute-values.ts index766KeysNeeded). */
  keyed: boolean;
  /** Whether the run's live chain has links ({live_links} not empty). */
  linked: boolean;
  /** The previous generation's live id when the run started from its live cells (crossedFrom). */
  previousLiveId: string | undefined;
  chainLimits?: ChainLimits;
  /** The statement's write of the staged values (its keys). */
  write: () => Promise<void>;
}

/** The inputs of the run's periods (the statement's scopes) under {live_id} (running) or {settled_tag}. */
function storeInputsSql(kinds: readonly PeriodKind[], layout: CellLayout, keyed: boolean, linked: boolean) {
  const periods = runPeriodPairsSql(kinds, INDEX766_PURPOSES);
  const keys = keyed ? index766KeysSql(kinds, true) : '1';
  return `
INSERT INTO kpi_index766_scope_inputs_v1 (tag, ${INPUT_COLUMNS.join(', ')})
SELECT if((period_kind, period_start) IN ${RUNNING_PERIODS_SQL}, {live_id:String}, {settled_tag:String}),
  ${INPUT_COLUMNS.join(', ')}
FROM
(
  SELECT period_kind, period_start, scope_kind, scope_code,
    [${INDEX766_SUMS.join(', ')}] AS sums, [${INDEX766_SETS.join(', ')}] AS sets, figures, catalog_size
  FROM (${index766ScopeInputsSql(kinds, INDEX766_PURPOSES, periods, layout, keys, linked)})
)`;
}

/**
 * The rows stored under {input_tags} with index766ScopeInputsSql's columns (a row written twice, by an
 * insert repeated under the same tag, read once).
 */
const STORED_INPUTS_SQL = `
SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
  ${INDEX766_SUMS.map((c, i) => `sums[${i + 1}] AS ${c}`).join(', ')},
  ${INDEX766_SETS.map((c, i) => `sets[${i + 1}] AS ${c}`).join(', ')}, figures, catalog_size
FROM kpi_index766_scope_inputs_v1 WHERE tag IN {input_tags:Array(String)} AND scope_kind != ''
LIMIT 1 BY tag, period_kind, period_start, scope_kind, scope_code`;

/**
 * Rebasing a chain (due to be written whole again, stored-inputs.ts chainOf): the running periods' scopes
 * the run did not store, copied from the chain under {live_id}.
 */
const COPY_UNSTORED_SQL = `
INSERT INTO kpi_index766_scope_inputs_v1 (tag, ${INPUT_COLUMNS.join(', ')})
${chainRowsSql(
  `{live_id:String}, ${INPUT_COLUMNS.join(', ')}`,
  `(period_kind, period_start) IN ${RUNNING_PERIODS_SQL}
    AND (period_kind, period_start, scope_kind, scope_code) NOT IN
      (SELECT period_kind, period_start, scope_kind, scope_code FROM kpi_index766_scope_inputs_v1
       WHERE tag = {live_id:String} AND scope_kind != '')`,
)}`;

/** Whether the run's Decision 766 periods were computed here; false: the caller runs the statement. */
export async function computeIndex766FromInputs(
  sql: Statements,
  options: StatementInputsOptions,
): Promise<boolean> {
  const { kinds, layout, params, keyed } = options;
  if (!params.now || !params.live_id) return false;
  const now = utcDate(params.now);
  const periods = await readIndex766Periods(sql, kinds, params);
  const running = periods.filter((p) => p.period_start === periodStartOf(p.period_kind as PeriodKind, now));
  if (running.length === 0) return false;
  const inputs = scopeInputs(kinds, layout);
  // A period only 'touched' keyed keeps some scopes: the others are the previous generation's chain's.
  let chain: Chain | undefined;
  if (keyed && running.some((p) => p.purposes.every((purpose) => purpose === 'touched'))) {
    if (options.previousLiveId === undefined) return false;
    const markers = await sql.rows<MarkerRow>(
      CHAIN_MARKERS_SQL,
      { previous_live_id: options.previousLiveId },
      'index766 statement: markers',
    );
    const wanted = new Set(running.map((p) => periodKey(p.period_kind, p.period_start)));
    chain = chainOf(markers, options.previousLiveId, wanted, inputs.code, options.chainLimits);
    if (!chain) return false;
  }
  const settled = `${params.live_id}:index766-settled`;
  const at: StatementParams = {
    ...params,
    running_kinds: running.map((p) => p.period_kind),
    running_starts: running.map((p) => p.period_start),
    settled_tag: settled,
  };
  await sql.command(storeInputsSql(kinds, layout, keyed, options.linked), at, {
    label: 'index766 statement: inputs',
  });
  // Scored by the statement's own scoring layers over the stored rows: the sets stay in the engine.
  await sql.command(
    stageValuesSql(index766ValuesSql(kinds, layout, true, false, STORED_INPUTS_SQL)),
    { ...params, input_tags: [params.live_id, settled] },
    { label: 'index766 statement: stage values' },
  );
  await options.write();
  // The markers last (stored-inputs.ts storeMarkers says why that is crash-safe).
  if (chain && !chain.rebase) {
    await storeMarkersOnChain(sql, params.live_id, running, inputs.code, chain.tags);
    return true;
  }
  if (chain) {
    await sql.command(
      COPY_UNSTORED_SQL,
      { ...at, input_tags: chain.tags },
      { label: 'index766 statement: copy unstored inputs' },
    );
  }
  await storeMarkers(sql, params.live_id, running, inputs.code, undefined);
  return true;
}
