import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { INDEX766_SCOPES } from './index766/kpis.ts';
import { listPeriodParts, periodParts, readIndex766Periods } from './index766/period-chunks.ts';
import {
  MOVED_KEYS_SQL,
  movedAgenciesSql,
  nextInputsSql,
  RUNNING_KEYS_SQL,
  scoringInputsSql,
  scoringPairsSql,
} from './index766/running-deltas.ts';
import {
  CHAIN_MARKERS_SQL,
  type ChainLimits,
  chainOf,
  INPUT_COLUMNS,
  type MarkerRow,
  periodKey,
  type ScoringRow,
  storeChainedMarkers,
  storeMarkers,
  toInputs,
} from './index766/stored-inputs.ts';
import {
  changedValueRows,
  type PreviousInputs,
  type ScopeInputs,
  UnscorableInputs,
  VALUE_COLUMNS,
  type ValueRow,
  valueRowsTsv,
} from './index766/value-rows.ts';
import { writeValueRows } from './index766/write-rows.ts';
import { type PeriodKind, periodStartOf } from './periods.ts';
import type { CellLayout } from './sql/cells.sql.ts';
import { INDEX766_SETS, INDEX766_SUMS, index766ScopeInputsSql } from './sql/index766-sources.sql.ts';
import { INDEX766_PURPOSES } from './sql/index766-values.sql.ts';
import { INDEX766_INPUTS_TABLE } from './sql/inputs-fingerprint.sql.ts';
import { runPeriodPairsSql } from './sql/run-periods.sql.ts';
import type { StatementParams, Statements } from './statements.ts';
import { targetRuleParams } from './targets.ts';
import { utcDate } from './utc.ts';

/**
 * The Decision 766 index of the running periods (the month, quarter and year holding the judging instant)
 * without its statement, in the cycles where only dossiers moved: a cycle starting from the previous
 * generation's live cells (kpi-cycle.ts `crossedFrom`), on the same city day, with no catalog row or
 * figure loaded, whose only Decision 766 periods are running ones marked 'touched'. Then the catalog's
 * sets, the loaded figures and the unit tree are those of the previous generation, and every input of
 * the index moved by the run's cell deltas (role 'delta', applied to kpi_scope_cells_v1 and
 * kpi_scope_procedures_v1) and crossed cells (role 'crossed', added to the previous live cells) only.
 *
 * The inputs of every scope of those periods are kept in kpi_index766_scope_inputs_v1 under the live id of
 * the generation they stand at (migration 0243). Such a cycle stores, in one statement inside the engine
 * (running-deltas.ts nextInputsSql), the previous generation's rows of the scopes that moved
 * (RUNNING_KEYS_SQL: the city and the chains of the agencies with deltas) plus its deltas' counters summed
 * to the scopes they roll up to (the city and the agency's chain, as index766ScopeInputsSql sums them) and
 * the procedures whose per-unit count grew added to the sets lacking them; it reads back only the sums
 * and set sizes the scorer needs, of each stored scope and of its previous row (scoringPairsSql, with its
 * sets' common elements when a set may have grown), scores both (index766ValueRows), and writes the values
 * that differ from the previous generation's, which are those kpi_current_v1 holds, straight to
 * kpi_values_v1 (index766/write-rows.ts: no stage, no comparison; none differs: no write). A row not known
 * to differ that way (value-rows.ts changedValueRows) is staged and compared. The sets (every procedure
 * of the catalog, every unit's services for the city) never go through the client. When the previous rows are missing (the generation
 * before computed the index with its statement: a range, a run finishing another's generation, a keyed
 * cycle with no chain to stand on; or its rows are older than 4 hours), a procedure may have
 * left a set, or a moved scope would be left with no input at all (the statement's row for it then
 * depends on merges of zero rows), that statement stores nothing and the inputs of every scope are read
 * with the statement's input part instead (index766ScopeInputsSql, without its scoring), scored the
 * same way, every value of the moved scopes staged and compared. Either way each period's marker is
 * written last.
 *
 * Which scopes moved is read first (running-deltas.ts movedAgenciesSql): the agencies whose staged rows sum
 * to a non-zero Decision 766 counter, `_rows` or procedure counter for some procedure, and their chains. A
 * due time passing for a dossier the index does not count (or a dossier moving between cells the index
 * sums alike) moves none; a cycle where no agency moved keeps every scope's inputs and values as they are
 * and only writes its markers on the chain (storeChainedMarkers). Otherwise the moved units and chains go
 * to the statements as parameters (MOVED_KEYS_SQL), and the set additions are left out unless a procedure
 * counter moved.
 *
 * A generation computed from the previous one's inputs writes the rows of the scopes that moved only,
 * and its marker names that generation as `parent` (migration 0247): a scope's inputs are its row under
 * the nearest tag of the chain of parents from the previous live id down to a tag holding every scope
 * (parent ''), each with its marker. A dead run's tag is never a parent (only committed live ids are
 * started from), so its rows are never read. Every {@link CHAIN_LIMITS} `tags` generations, or once the
 * chain's full tag is 2 hours old, a generation writes every scope again (copying the unmoved ones
 * from the chain), so a chain never outlives the markers' 4 hours. A rebuild, which computes the index
 * with its statement, keeps its running periods' inputs as a full tag too (storeRunningIndex766Inputs):
 * the cycles after it start from them instead of reading every scope anew.
 */

export interface RunningIndexOptions {
  kinds: readonly PeriodKind[];
  layout: CellLayout;
  /** The values statement's parameters (run_id, live_id, now, values_id, scope_kinds …). */
  params: StatementParams;
  /** The previous generation's live id (kpi-cycle.ts `crossedFrom`); undefined: not such a cycle. */
  previousLiveId: string | undefined;
  /**
   * Writes the staged values ({values_id}) that changed, as the statement path does, comparing the stored
   * keys `keys` names (RUNNING_KEYS_SQL: index766KeysSql's where every period is touched; or the staged
   * keys only, STAGED_KEYS_SQL), which reads `params`.
   */
  write: (keys: string, params: StatementParams) => Promise<void>;
  /** When the chain of stored inputs starts again (default CHAIN_LIMITS). */
  chainLimits?: ChainLimits;
  /** How many dossiers changed in the run (undefined: not known, taken as few). */
  changedDossiers?: number;
}

/**
 * At most this many moved units (period, unit) and chain links (agency, unit) go as parameters
 * (MOVED_KEYS_SQL): parameters travel in the URL over HTTP. More (a cycle with new dossiers in most
 * agencies), the scopes are those of every agency with staged rows (RUNNING_KEYS_SQL), as many as that.
 */
const MOVED_PARAMETERS = 400;

/**
 * From this many changed dossiers on, the path does not ask which agencies moved (movedAgenciesSql): the
 * answer would most likely name more units than MOVED_PARAMETERS (each dossier moves its agency's chain in
 * up to three running periods) and some procedure counter, so it would change nothing but cost its read
 * (0.03–0.04 CPU-s replayed on the 200k bench's 1,000 new state, 0.08 s at 10M). Without it the scopes are
 * RUNNING_KEYS_SQL's, with the set additions: the path's general form, exact whatever moved.
 */
const MANY_CHANGED = MOVED_PARAMETERS;

/**
 * The stored values the write compares when only the changed rows are staged: those of the staged keys
 * (kpi_current_v1's order starts with the period, then the KPI and the scope).
 */
const STAGED_KEYS_SQL = `(period_kind, period_start, kpi, scope_kind, scope_code) IN
    (SELECT period_kind, period_start, kpi, scope_kind, scope_code FROM kpi_stage_values_v1
     WHERE values_id = {values_id:String})`;

const scopeKey = (s: ScopeInputs) => `${s.period_kind}|${s.period_start}|${s.scope_kind}|${s.scope_code}`;

interface MovedRow {
  period_kind: string;
  period_start: string;
  agency: string;
  procedure_moved: string | number;
  /** The agency's chain (itself first), none for ''. */
  chain: string[];
}

/**
 * Which KPIs' rows may be written without comparing (writeValueRows): those the write compares with
 * kpi_current_v1 ({kpi_ids}) whose score is stated and that have no target rule, so that the write's value,
 * target and score are the row's own. A row of another KPI is staged and compared.
 */
function directlyWritable(params: StatementParams): (kpi: string) => boolean {
  if (!params.computed_at || !params.run_id) return () => false;
  const ids = new Set(params.kpi_ids ?? []);
  const stated = new Set(params.stated_score_kpis ?? []);
  const targeted = new Set(targetRuleParams([...ids]).t_kpi);
  return (kpi) => ids.has(kpi) && stated.has(kpi) && !targeted.has(kpi);
}

/** Whether the running periods were computed here; false: the statement's path must compute them. */
export async function computeRunningIndex766(
  sql: Statements,
  options: RunningIndexOptions,
): Promise<boolean> {
  const { kinds, layout, params, previousLiveId } = options;
  if (previousLiveId === undefined || !params.now || !params.live_id) return false;
  const now = utcDate(params.now);
  const periods = await readIndex766Periods(sql, kinds, params);
  const eligible =
    periods.length > 0 &&
    periods.every(
      (p) =>
        p.purposes.length === 1 &&
        p.purposes[0] === 'touched' &&
        p.period_start === periodStartOf(p.period_kind as PeriodKind, now),
    );
  if (!eligible) return false;
  const inputs = scopeInputs(kinds, layout);
  const wanted = new Set(periods.map((p) => periodKey(p.period_kind, p.period_start)));
  const markers = await sql.rows<MarkerRow>(
    CHAIN_MARKERS_SQL,
    { previous_live_id: previousLiveId },
    'index766 running: markers',
  );
  const chain = chainOf(markers, previousLiveId, wanted, inputs.code, options.chainLimits);
  let keys = RUNNING_KEYS_SQL;
  let running: StatementParams = {
    ...params,
    running_kinds: periods.map((p) => p.period_kind),
    running_starts: periods.map((p) => p.period_start),
  };
  // Which agencies' staged rows may move an input (movedAgenciesSql): with none, every scope keeps its
  // inputs and values, and the generation only marks that it stands on the previous one's.
  let narrow = { moved: false, sets: true };
  if (chain && !chain.rebase && (options.changedDossiers ?? 0) < MANY_CHANGED) {
    const moved = await sql.rows<MovedRow>(movedAgenciesSql(layout), running, 'index766 running: moved');
    if (moved.length === 0) {
      await storeChainedMarkers(sql, params.live_id, periods, inputs.code, chain.tags);
      return true;
    }
    const units = new Map<string, [string, string, string]>();
    const rollup = new Map<string, readonly string[]>();
    for (const m of moved) {
      if (m.agency === '') continue;
      rollup.set(m.agency, m.chain);
      for (const unit of m.chain)
        units.set(`${m.period_kind}|${m.period_start}|${unit}`, [m.period_kind, m.period_start, unit]);
    }
    const pairs = [...rollup.values()].reduce((n, chain) => n + chain.length, 0);
    if (units.size <= MOVED_PARAMETERS && pairs <= MOVED_PARAMETERS) {
      keys = MOVED_KEYS_SQL;
      running = {
        ...running,
        moved_kinds: [...units.values()].map((u) => u[0]),
        moved_starts: [...units.values()].map((u) => u[1]),
        moved_units: [...units.values()].map((u) => u[2]),
        rollup_agencies: [...rollup].flatMap(([agency, chain]) => chain.map(() => agency)),
        rollup_units: [...rollup.values()].flat(),
      };
    }
    narrow = { moved: keys === MOVED_KEYS_SQL, sets: moved.some((m) => Number(m.procedure_moved) > 0) };
  }

  // The moved scopes from the chain's rows plus the deltas, stored under the live id inside the engine (only
  // these, or every scope once the chain is due to start again), else every scope's inputs read anew.
  // Either way the scorer reads only their sums and the sizes it needs of their sets. From the chain, each
  // stored scope is read beside its previous row (the inputs of the values stored for it), and only the
  // values that differ are staged and compared.
  let scopes: ScopeInputs[] = [];
  let before: Map<string, PreviousInputs> | undefined;
  if (chain) {
    await sql.command(
      nextInputsSql(layout, periods.length, !chain.rebase, narrow),
      { ...running, input_tags: chain.tags, inputs_code: inputs.code },
      { label: 'index766 running: previous inputs' },
    );
    const read = await sql.rows<ScoringRow & { current: string | number }>(
      scoringPairsSql(narrow.sets),
      { ...params, input_tags: chain.tags },
      'index766 running: read inputs',
    );
    scopes = toInputs(read.filter((r) => Number(r.current) === 1));
    before = new Map(
      toInputs(read.filter((r) => Number(r.current) === 0)).map((s) => [
        scopeKey(s),
        {
          sums: s.sums,
          figures: s.figures,
          catalog_size: s.catalog_size,
          ...(narrow.sets ? { commons: s.commons } : {}),
        },
      ]),
    );
  }
  const fromChain = scopes.length > 0 ? chain : undefined;
  if (!fromChain) {
    before = undefined;
    await sql.command(inputs.insert, params, { label: 'index766 running: inputs' });
    scopes = toInputs(
      await sql.rows<ScoringRow>(scoringInputsSql(keys), running, 'index766 running: read inputs'),
    );
  }

  // Rows known to differ from the stored ones are written as they are; the others are staged and compared.
  const rows: ValueRow[] = [];
  const known: ValueRow[] = [];
  const direct = directlyWritable(params);
  try {
    const scopeKinds = new Set(params.scope_kinds ?? INDEX766_SCOPES);
    for (const s of scopes) {
      if (!scopeKinds.has(s.scope_kind)) continue;
      const changed = changedValueRows(s, before?.get(scopeKey(s)), narrow.sets);
      for (const r of changed.rows) (changed.known && direct(r.kpi) ? known : rows).push(r);
    }
  } catch (err) {
    if (err instanceof UnscorableInputs) return false;
    throw err;
  }
  await writeValueRows(sql, known, params.computed_at ?? '', params.run_id ?? '');
  const began = performance.now();
  if (rows.length > 0) {
    await sql.clickhouse.insert({
      table: 'kpi_stage_values_v1',
      values: Readable.from([valueRowsTsv(params.values_id ?? '', rows)], { objectMode: false }),
      columns: ['values_id', ...VALUE_COLUMNS],
      format: 'TabSeparated',
    });
  }
  // The fingerprints of these periods no longer describe what their values were computed from.
  await sql.clickhouse.insert({
    table: INDEX766_INPUTS_TABLE,
    values: periods.map((p) => ({
      period_kind: p.period_kind,
      period_start: p.period_start,
      fingerprint: '0',
      run_id: params.live_id,
    })),
    format: 'JSONEachRow',
  });
  sql.trace?.('index766 running: stage scored values', performance.now() - began);
  // Inputs read anew: every value of the scopes, compared (a stored key no longer produced is zeroed).
  if (!before) await options.write(keys, running);
  else if (rows.length > 0) await options.write(STAGED_KEYS_SQL, running);
  await storeMarkers(
    sql,
    params.live_id,
    periods,
    inputs.code,
    fromChain ? { from: previousLiveId, chain: fromChain, keys, params: running } : undefined,
  );
  return true;
}

/**
 * The statement's input part (index766ScopeInputsSql, no scoring), every scope, as rows of the stored
 * columns (`select`), as the insert storing them under {live_id}, and its code (a hash of its text): stored
 * rows are a starting point only for the same code, whoever stored them (verifyKpiState reads them anew
 * with `select` to check the stored ones).
 */
export function scopeInputs(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
): { select: string; insert: string; code: string } {
  const text = `
SELECT period_kind, period_start, scope_kind, scope_code,
  [${INDEX766_SUMS.join(', ')}] AS sums, [${INDEX766_SETS.join(', ')}] AS sets, figures, catalog_size
FROM (${index766ScopeInputsSql(kinds, INDEX766_PURPOSES, runPeriodPairsSql(kinds, INDEX766_PURPOSES), layout)})`;
  return {
    select: text,
    insert: `INSERT INTO kpi_index766_scope_inputs_v1 (tag, ${INPUT_COLUMNS.join(', ')})
    SELECT {live_id:String}, ${INPUT_COLUMNS.join(', ')} FROM (${text})`,
    code: createHash('sha256').update(text).digest('hex'),
  };
}

/**
 * After a rebuild's statement: its running periods' inputs (every scope, as the running path reads them
 * anew) under its live id, so that the cycles after it start from them. `at`: the values' parameters
 * (live_id, now, day_floor); the periods are listed under a run id of their own, or, read in `parts`
 * statements (a small cap: the statement's memory follows its periods, index766/period-chunks.ts), each
 * part under its own.
 */
export async function storeRunningIndex766Inputs(
  sql: Statements,
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  at: StatementParams,
  parts = 1,
): Promise<void> {
  if (!at.live_id || !at.now || kinds.length === 0) return;
  const now = utcDate(at.now);
  const periods = kinds.map((kind) => ({ period_kind: kind, period_start: periodStartOf(kind, now) }));
  const rows = periods.map((p) => ({ ...p, purposes: [] }));
  const runs = await listPeriodParts(sql, `${at.live_id}:index766-inputs`, periodParts(rows, parts));
  const inputs = scopeInputs(kinds, layout);
  for (const run_id of runs) {
    await sql.command(inputs.insert, { ...at, run_id }, { label: 'index766 running: keep inputs' });
  }
  await storeMarkers(sql, at.live_id, rows, inputs.code, undefined);
}
