import { type PeriodKind, TIME_ZONE } from '../periods.ts';
import {
  BEFORE,
  CELL_KEY_COLUMNS,
  type CellLayout,
  CHANGED,
  cellsSql,
  clipFromSql,
  FACT_COLUMNS,
  FACTS_HASH,
  factsSourceSql,
  NOW,
  periodOfSql,
  SCOPES_OF_CELL,
  STAGED,
  volatileAtSql,
} from './cells.sql.ts';
import { PROCEDURE_COUNTERS } from './counters.sql.ts';
import { liveCellsSql, settledAtMidnightCellsSql, sharedFlagsAt } from './live-cells.sql.ts';
import { runPeriodsFilterSql } from './run-periods.sql.ts';

// Statements of one cycle generation. Parameters: {run_id} owns the staged rows; {now} is the instant
// the generation judges at; {judged_before} the previous generation's. Cells hold, for every dossier,
// its rows that can no longer change with time (see participationSql `live`), as of {judged_before}.

/** Candidates whose facts differ from what the cells were built from become the run's 'new' facts. */
export const STAGE_CHANGED_FACTS_SQL = `
INSERT INTO kpi_stage_facts_v1 (run_id, role, sign, ${FACT_COLUMNS})
SELECT {run_id:String}, 'new', 1, ${FACT_COLUMNS}
FROM ${STAGED('candidate')}
  AND (dossier_code, ${FACTS_HASH}) NOT IN
    (SELECT dossier_code, ${FACTS_HASH} FROM kpi_dossier_facts_v1 FINAL
     WHERE dossier_code IN (SELECT dossier_code FROM ${STAGED('candidate')}))`;

/**
 * Signed cell deltas of one cycle for `kind`:
 * - `settle`: time passing from {judged_before} to {now}: the open dossiers' rows in periods that were
 *   running at {judged_before} and no longer move at {now} (the period ended, the dossier finished or
 *   started); only dossiers where something can have changed are read (all of them when a period ended);
 * - `changed`: minus the changed dossiers' old rows, plus their new ones, both as judged at {now}.
 */
export function stageCycleDeltaSql(
  kind: PeriodKind,
  layout: CellLayout,
  parts: { settle: boolean; changed: boolean },
  stretched = kind === 'day',
): string {
  const crossed = `${periodOfSql(kind, BEFORE)} != ${periodOfSql(kind, NOW)}`;
  const sources: string[] = [];
  if (parts.settle) {
    const due = `${crossed} OR finished_at >= ${BEFORE} OR start_at > ${BEFORE}`;
    sources.push(factsSourceSql(`kpi_open_facts_v1 FINAL WHERE ${due}`, 1, periodOfSql(kind, BEFORE)));
  }
  if (parts.changed) {
    const old = `kpi_dossier_facts_v1 FINAL WHERE dossier_code IN (${CHANGED})`;
    sources.push(factsSourceSql(old, -1, clipFromSql(kind)));
    sources.push(factsSourceSql(STAGED('new'), 1, clipFromSql(kind)));
  }
  if (sources.length === 0) throw new Error('a cycle delta needs something to settle or a changed dossier');
  return stageDeltaSql(kind, layout, sources.join('\n    UNION ALL\n    '), stretched);
}

// Days are settled in stretches (settledStretchesSql): a catch-up after weeks would judge every open
// dossier once per elapsed day. A month, quarter or year elapses one at a time; stretches only cost there,
// as they do over a day or two (kpi-cycle.ts STRETCHED_DAYS).
function stageDeltaSql(kind: PeriodKind, layout: CellLayout, source: string, stretched: boolean): string {
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
SELECT {run_id:String}, 'delta', * FROM (${cellsSql(kind, layout, source, 'NOT live', stretched)})`;
}

/**
 * The open dossiers' settled rows of the kinds whose periods ended at the one city midnight between
 * {judged_before} and {now} (the day, and a month, quarter or year ending with it), in one pass: what
 * stageCycleDeltaSql's settled rows of each of these kinds sum to, when no open dossier finished before
 * {judged_before}'s day (EARLY_FINISHES_SQL).
 */
export function stageSettledAtMidnightSql(kinds: readonly PeriodKind[], layout: CellLayout): string {
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
SELECT {run_id:String}, 'delta', * FROM (${settledAtMidnightCellsSql(kinds, layout, 'kpi_open_facts_v1 FINAL')})`;
}

/**
 * Signed rows for kpi_open_facts_v1: the changed dossiers leave with their old facts (if these were
 * open at {judged_before}) and enter with their new ones (if open at {now}); unchanged open dossiers
 * that finished (or started) in between leave.
 */
export const STAGE_OPEN_FACTS_SQL = `
INSERT INTO kpi_stage_facts_v1 (run_id, role, sign, ${FACT_COLUMNS})
SELECT {run_id:String}, 'open', -1, ${FACT_COLUMNS}
FROM kpi_dossier_facts_v1 FINAL
WHERE dossier_code IN (${CHANGED}) AND ${volatileAtSql(BEFORE)}
UNION ALL
SELECT {run_id:String}, 'open', -1, ${FACT_COLUMNS}
FROM kpi_open_facts_v1 FINAL
WHERE NOT ${volatileAtSql(NOW)} AND dossier_code NOT IN (${CHANGED})
UNION ALL
SELECT {run_id:String}, 'open', 1, ${FACT_COLUMNS}
FROM ${STAGED('new')} AND ${volatileAtSql(NOW)}`;

/**
 * A date range recomputed from every dossier's facts as judged at {now} (the last cycle's instant):
 * the delta is the fresh cells minus what kpi_cells_v1 holds for the range's periods.
 */
export function stageRangeDeltaSql(kind: PeriodKind, layout: CellLayout): string {
  const periods = runPeriodsFilterSql(kind, ['all']);
  const fresh = factsSourceSql(
    'kpi_dossier_facts_v1 FINAL',
    1,
    periodOfSql(kind, `toDateTime64({from_date:Date}, 3, '${TIME_ZONE}')`),
  );
  const columns = layout.columns.join(', ');
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${columns})
SELECT {run_id:String}, 'delta', ${CELL_KEY_COLUMNS}, ${columns}
FROM (${cellsSql(kind, layout, fresh, `NOT live AND period_start IN ${periods}`)})
UNION ALL
SELECT {run_id:String}, 'delta', ${CELL_KEY_COLUMNS}, ${layout.columns.map((c) => `-${c}`).join(', ')}
FROM kpi_cells_v1
WHERE period_kind = '${kind}' AND period_start IN ${periods}`;
}

/**
 * The open dossiers' rows of the running period of every kind, judged at {now}, as the run's live cells;
 * `now` ({now}'s value): kinds whose period begins with a longer kind's read its flags (sharedFlagsAt).
 */
export function stageLiveCellsSql(kinds: readonly PeriodKind[], layout: CellLayout, now?: string): string {
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
SELECT {live_id:String}, 'live', * FROM (${openLiveCellsSql(kinds, layout, now)})`;
}

/** The open dossiers' rows of the running periods of `kinds` judged at {now} (one pass, liveCellsSql). */
export function openLiveCellsSql(kinds: readonly PeriodKind[], layout: CellLayout, now?: string): string {
  const source = factsSourceSql('kpi_open_facts_v1 FINAL', 1, periodOfSql('day', NOW));
  return liveCellsSql(kinds, layout, source, now === undefined ? {} : sharedFlagsAt(kinds, now));
}

/** Every dossier's rows of `kind` that no longer move at {now}, as cells: what a rebuild writes. */
export function builtCellsSql(kind: PeriodKind, layout: CellLayout, sharded = false): string {
  // A cell's dossiers share its agency and procedure: each shard's GROUP BY yields exactly its cells.
  const facts = sharded
    ? `kpi_dossier_facts_v1 FINAL WHERE ${inShard('agency_code, procedure_code')}`
    : 'kpi_dossier_facts_v1 FINAL';
  return cellsSql(kind, layout, factsSourceSql(facts, 1, clipFromSql(kind)), 'NOT live');
}

/**
 * Signed counters summed per group: the SELECT items (`sum(c) AS sum_c`) and the HAVING condition that
 * drops groups where every sum is zero (deltas that cancelled out).
 */
export function counterSums(counters: readonly string[]): { select: string; nonZero: string } {
  return {
    select: counters.map((c) => `sum(${c}) AS sum_${c}`).join(', '),
    nonZero: counters.map((c) => `sum_${c} != 0`).join(' OR '),
  };
}

// Applying a staged generation: each insert carries the generation's deduplication token, so applying
// it again (the run that staged it crashed, or two runs finish it) adds nothing.

// The token does not make a statement atomic: an INSERT…SELECT commits its blocks one by one, and a re-run
// after a crash skips a block by an id made of the token and the numbers of the chunks the SELECT put into
// it, not by its rows. Chunks of other rows on the re-run (a GROUP BY over two threads) made it add some
// cells twice and drop others; a SELECT that yields another number of chunks (its GROUP BY two-level or
// spilled on one run only, another block size) makes it write the whole output again (both:
// kpi-apply-crash.int.test.ts). Each apply therefore makes its output one chunk and inserts it as one block
// (ONE_CHUNK_INSERT): one part (no partitions), committed whole or not at all, whose id is the same on every
// run. Sorting by the table's key (2abcf10) made chunks and blocks the same on every run too, at ~2-3x the
// CPU (bench/README.md). The price: a GROUP BY that cannot spill, its whole output at once (a 10M catch-up's
// 1.1M cells: RSS +0.75-0.87 GB) in the statement's cap; past it, the generation is abandoned.

/** Settings of every apply: its whole output as one chunk and one block (see above). */
export const ONE_CHUNK_INSERT: Readonly<Record<string, string>> = {
  // The GROUP BY's output as one chunk: single-level (two-level yields a chunk per bucket), not spilled (at
  // a size or a share of the memory limit), not in the key's order (a chunk per key range), one block.
  group_by_two_level_threshold: '0',
  group_by_two_level_threshold_bytes: '0',
  max_bytes_before_external_group_by: '0',
  max_bytes_ratio_before_external_group_by: '0',
  optimize_aggregation_in_order: '0',
  max_block_size: '1000000000000000',
  // One insert stream (each would cut its own blocks), and a block is cut when either minimum is
  // reached, or (with use_strict_insert_block_limits, off) both minimums or the maximum: none is.
  max_insert_threads: '1',
  min_insert_block_size_rows: '1000000000000000',
  min_insert_block_size_bytes: '1000000000000000',
  max_insert_block_size: '1000000000000000',
  use_strict_insert_block_limits: '0',
};

/**
 * The rows of one shard of an apply's output: those whose key (`key`, the output's GROUP BY columns) hashes
 * to {shard} of {shards}. A cell or scope row lies whole in one shard, so each shard's GROUP BY yields
 * exactly its rows of the unsharded one.
 */
export function inShard(key: string): string {
  return `cityHash64(${key}) % {shards:UInt32} = {shard:UInt32}`;
}

/**
 * How many staged delta rows a run has, and the statement's memory cap (0: none): how many shards an apply
 * of them is cut into (complete-generation.ts applyShards).
 */
export const APPLY_SIZE_SQL = `
SELECT count() AS rows, getSetting('max_memory_usage') AS cap
FROM kpi_stage_cells_v1
WHERE run_id = {run_id:String} AND role = 'delta'`;

/**
 * The staged cell deltas into kpi_cells_v1 as one chunk; `sharded`: only the cells of shard {shard} of
 * {shards}. `summed` (the apply format 'sharded-v1'): summed per cell by a GROUP BY, cells that cancelled
 * out dropped. Otherwise ('sharded-v2') the staged rows are copied as they are, all but those whose counters
 * are all 0, gathered into one array by an aggregate without keys (one row, one chunk, however many chunks
 * its input came in) and spread back by ARRAY JOIN (one chunk under ONE_CHUNK_INSERT's block size): the
 * table sums a cell's rows when it merges them (SummingMergeTree, dropping a cell whose sums are 0), and
 * every reader sums them. A catch-up stages one row per cell (its settled days: 1.68M rows at 1M
 * dossiers), whose GROUP BY found nothing to sum: 3.4-3.9 CPU-s against 2.2-2.8 for the copy.
 */
export function applyCellsSql(layout: CellLayout, sharded = false, summed = false): string {
  const staged = `kpi_stage_cells_v1
WHERE run_id = {run_id:String} AND role = 'delta'${sharded ? ` AND ${inShard(CELL_KEY_COLUMNS)}` : ''}`;
  const columns = [...CELL_KEY_COLUMNS.split(', '), ...layout.columns];
  if (summed) {
    const sums = counterSums(layout.columns);
    return `
INSERT INTO kpi_cells_v1 (${columns.join(', ')})
SELECT ${CELL_KEY_COLUMNS}, ${sums.select}
FROM ${staged}
GROUP BY ${CELL_KEY_COLUMNS}
HAVING ${sums.nonZero}`;
  }
  // One array of whole rows, not an array per column: the engine adds a sparse column's non-zero values
  // to an aggregate before its zeros (IAggregateFunction::addBatchSparse), so per-column arrays of the same
  // rows came out in different orders (seen in chDB 26.7: a counter that is mostly 0 paired with another
  // row's keys). A tuple is one value per row.
  return `
INSERT INTO kpi_cells_v1 (${columns.join(', ')})
SELECT ${columns.map((c, i) => `staged.${i + 1} AS ${c}`).join(', ')}
FROM
(
  SELECT groupArray((${columns.join(', ')})) AS rows
  FROM ${staged}
    AND (${layout.columns.map((c) => `${c} != 0`).join(' OR ')})
)
ARRAY JOIN rows AS staged`;
}

/**
 * Cell rows (`cells`: a FROM body with the cell key and counter columns) summed per scope, into
 * kpi_scope_cells_v1 and kpi_scope_procedures_v1: what applying the cell deltas does to the scope tables,
 * and how a rebuild fills them from the built cells. `sorted`: ordered by the table's key (a rebuild's
 * statements; an apply is one chunk instead, ONE_CHUNK_INSERT). `sharded`: only the scope rows of shard
 * {shard} of {shards} (an apply cut into shards).
 */
export function scopeCellsSql(layout: CellLayout, cells: string, sorted: boolean, sharded = false): string {
  const sums = counterSums(layout.columns);
  const key = 'period_kind, period_start, scope_kind, scope_code';
  // Each scope kind's sums as a grouping set of the cells, not every cell copied to its five scopes (ARRAY
  // JOIN of SCOPES_OF_CELL: the copies cost more than the sums, a 1M catch-up's 1.7M cells 1.9 against 0.7
  // CPU-s), then grouped once more on the few scope rows, so an apply's output is still one chunk. A set's
  // other codes are blanks: grouping() (standard: 1 where the column is not in the set) tells the sets apart.
  const codes = ['admin_level', 'agency_code', 'field_code', 'procedure_code'];
  const kinds = ['admin_level', 'agency', 'field', 'procedure'];
  const scopeKind = `multiIf(${codes.map((c, i) => `grouping(${c}) = 0, '${kinds[i]}'`).join(', ')}, 'city')`;
  const scopeCode = `multiIf(${codes.map((c) => `grouping(${c}) = 0, toString(${c})`).join(', ')}, '')`;
  const sets = ['', ...codes.map((c) => `, ${c}`)].map((c) => `(period_kind, period_start${c})`).join(', ');
  return `
INSERT INTO kpi_scope_cells_v1 (period_kind, period_start, scope_kind, scope_code, ${layout.columns.join(', ')})
SELECT ${key}, ${layout.columns.map((c) => `sum(sum_${c}) AS sum_${c}`).join(', ')}
FROM
(
  SELECT period_kind, period_start, ${scopeKind} AS scope_kind, ${scopeCode} AS scope_code, ${sums.select}
  FROM ${cells}
  GROUP BY GROUPING SETS (${sets})
)
WHERE (scope_kind = 'city' OR scope_code != '')${sharded ? ` AND ${inShard(key)}` : ''}
GROUP BY ${key}
HAVING ${sums.nonZero}${sorted ? `\nORDER BY ${key}` : ''}
SETTINGS force_grouping_standard_compatibility = 1`;
}

export function scopeProceduresSql(
  layout: CellLayout,
  cells: string,
  sorted: boolean,
  sharded = false,
): string {
  const counters = PROCEDURE_COUNTERS.map((c) => layout.at(c.key));
  const sums = counterSums(counters);
  const columns = PROCEDURE_COUNTERS.map((c) => c.column).join(', ');
  const key = 'period_kind, period_start, scope_kind, scope_code, procedure_code';
  // A cell with none of these counts adds nothing to any sum: day cells never have any (they count only
  // in month, quarter and year periods), and fanning them out to five scopes each cost most of this.
  return `
INSERT INTO kpi_scope_procedures_v1 (period_kind, period_start, scope_kind, scope_code, procedure_code, ${columns})
SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code, procedure_code, ${sums.select}
FROM (SELECT * FROM ${cells} WHERE ${counters.map((c) => `${c} != 0`).join(' OR ')})
ARRAY JOIN ${SCOPES_OF_CELL} AS sc${sharded ? `\nWHERE ${inShard(key)}` : ''}
GROUP BY ${key}
HAVING ${sums.nonZero}${sorted ? `\nORDER BY ${key}` : ''}`;
}

/** The run's staged cell deltas, as a FROM body for scopeCellsSql / scopeProceduresSql. */
export const STAGED_DELTAS =
  "(SELECT * FROM kpi_stage_cells_v1 WHERE run_id = {run_id:String} AND role = 'delta')";

/** Built cells of one period kind, as a FROM body for scopeCellsSql / scopeProceduresSql (a rebuild). */
export function builtCells(kind: PeriodKind): string {
  return `(SELECT * FROM kpi_cells_v1 WHERE period_kind = '${kind}')`;
}

export const APPLY_OPEN_FACTS_SQL = `
INSERT INTO kpi_open_facts_v1 (${FACT_COLUMNS}, sign)
SELECT ${FACT_COLUMNS}, sign FROM ${STAGED('open')}
ORDER BY dossier_code, sign`;

/** Facts are a ReplacingMergeTree on the dossier: writing the same rows twice changes nothing. */
export const APPLY_FACTS_SQL = `
INSERT INTO kpi_dossier_facts_v1 (${FACT_COLUMNS})
SELECT ${FACT_COLUMNS} FROM ${STAGED('new')}`;

// A rebuild (first cycle, clock moved back, backfill with fresh facts) starts from empty tables; if
// interrupted, it goes on from its last recorded step (rebuild.ts), the derived tables from empty again.

/** What a rebuild builds from the facts: emptied again when a resumed rebuild builds them. */
export const CELLS_TRUNCATE_SQL = [
  'TRUNCATE TABLE kpi_open_facts_v1',
  'TRUNCATE TABLE kpi_cells_v1',
  'TRUNCATE TABLE kpi_scope_cells_v1',
  'TRUNCATE TABLE kpi_scope_procedures_v1',
  'TRUNCATE TABLE dossiers_at_risk_open_v2',
];

export const REBUILD_TRUNCATE_SQL = ['TRUNCATE TABLE kpi_dossier_facts_v1', ...CELLS_TRUNCATE_SQL];

export const BUILD_OPEN_FACTS_SQL = `
INSERT INTO kpi_open_facts_v1 (${FACT_COLUMNS}, sign)
SELECT ${FACT_COLUMNS}, 1 FROM kpi_dossier_facts_v1 FINAL WHERE ${volatileAtSql(NOW)}`;

/** A rebuild's cells of one kind; `sharded`: those whose agency and procedure hash to {shard} of {shards}. */
export function buildCellsSql(kind: PeriodKind, layout: CellLayout, sharded = false): string {
  return `
INSERT INTO kpi_cells_v1 (${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
${builtCellsSql(kind, layout, sharded)}`;
}

// The generation log (table kpi_cycles_v1, see generation-log.ts).

/**
 * A run's periods and the values it wrote, as `run_periods` and `run_written` for {run_id}: each value lies
 * in one of its periods, so the count reads only those periods of kpi_current_v1 (its key starts with
 * them) instead of the whole table.
 */
export const RUN_TOTALS_COLUMNS = `(SELECT count() FROM kpi_run_periods_v1 WHERE run_id = {run_id:String}) AS run_periods,
  (SELECT count() FROM kpi_current_v1 WHERE run_id = {run_id:String} AND (period_kind, period_start) IN
    (SELECT period_kind, period_start FROM kpi_run_periods_v1 WHERE run_id = {run_id:String})) AS run_written`;

/**
 * The last committed generation (no row before the first): read backwards in the table's order from its
 * end, which stops at the first committed row. The log is never pruned (two or three rows a cycle: about
 * 9M a year at a 10-s interval), and `max(gen) … WHERE state = 'committed'` read every row's `gen` and
 * `state` three times a cycle: 3M rows, 77–168 ms a read against 20–30 ms this way (chDB, load 13).
 */
const LAST_COMMITTED_SQL =
  "SELECT gen FROM kpi_cycles_v1 WHERE state = 'committed' ORDER BY gen DESC LIMIT 1";

/**
 * The generation log from the last committed generation on, each row with the server's clock as
 * `server_now` (read with the log, not in a statement of its own: each statement costs its fixed share);
 * with `totals`, RUN_TOTALS_COLUMNS too (a committing run reports them with no read of its own).
 */
export function readGenerationLogSql(totals = false): string {
  return `
SELECT gen, run_id, kind, state, toString(judged_at) AS judged_at, toString(window_to) AS window_to,
  toString(day_floor) AS day_floor, layout, computed, live_id, live_base, live_links, apply_format,
  toString(created_at) AS created_at, toString(now64(3, 'UTC')) AS server_now${totals ? `,\n  ${RUN_TOTALS_COLUMNS}` : ''}
FROM kpi_cycles_v1
WHERE gen >= (SELECT max(gen) FROM (${LAST_COMMITTED_SQL}))
ORDER BY gen, created_at, run_id`;
}

export const GENERATION_LOG_TABLE = 'kpi_cycles_v1';
