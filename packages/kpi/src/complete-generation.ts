import { CLICKHOUSE_CODES, type ClickHouse, clickHouseErrorCode } from '@dossier/clickhouse';
import { APPLY_AT_RISK_OPEN_SQL } from './at-risk/at-risk.sql.ts';
import { selectKpis } from './catalog.ts';
import { dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { computeValues, type ValuesAt } from './compute-values.ts';
import {
  APPLY_FORMAT,
  type ApplyCut,
  abandonGeneration,
  applyCutOf,
  type Claim,
  commitGeneration,
  type GenerationLog,
  type LiveChain,
  readGenerationLog,
} from './generation-log.ts';
import type { KpiDefinition, KpiSource } from './kpi-definition.ts';
import { resumeRebuild } from './rebuild.ts';
import type { KpiRunOptions, KpiRunResult } from './run-options.ts';
import {
  APPLY_FACTS_SQL,
  APPLY_OPEN_FACTS_SQL,
  APPLY_SIZE_SQL,
  applyCellsSql,
  ONE_CHUNK_INSERT,
  STAGED_DELTAS,
  scopeCellsSql,
  scopeProceduresSql,
} from './sql/generation.sql.ts';
import { type RunTotals, type StatementParams, type Statements, statements } from './statements.ts';
import { EPOCH, EPOCH_DAY, utcDate } from './utc.ts';

const DEFAULT_STALE_AFTER_MS = 30 * 60_000;

/** Staged rows expire after 6 hours (migrations 0022, 0023): a generation older than this cannot be finished. */
const FINISHABLE_MS = 5 * 3_600_000;

/**
 * Memory an apply's one-chunk GROUP BY takes per staged delta row, rounded up: a 10M catch-up's cells apply
 * took +0.75–0.87 GB of RSS for 1.1M cells (bench/README.md), and a cell has one or two delta rows.
 */
export const APPLY_BYTES_PER_ROW = 1_000;
/**
 * What any apply statement takes besides its rows (fully counted: 500–2,000 cells took 4–8 MiB in chDB
 * 26.7, 16,000 took 16–32 MiB): nothing beside a real budget's cap (at least ~170 MB), most of a tiny one.
 */
export const APPLY_OVERHEAD_BYTES = 8 * 2 ** 20;
/** At most this many shards (each table keeps the ids of its last 1,000 blocks to tell re-sent ones). */
export const MAX_APPLY_SHARDS = 64;

/**
 * How many shards the applies of `rows` staged delta rows are cut into under a statement memory cap of
 * `cap` bytes (0: none): each shard's one-chunk GROUP BY is to take at most half of it (where every other
 * statement starts spilling, memory-budget.ts statementLimits), its overhead included.
 */
export function shardsFor(rows: number, cap: number): number {
  if (!(cap > 0)) return 1;
  const perShard = Math.max(cap / 2 - APPLY_OVERHEAD_BYTES, cap / 8);
  const shards = Math.ceil((rows * APPLY_BYTES_PER_ROW) / perShard);
  return Math.min(MAX_APPLY_SHARDS, Math.max(1, shards));
}

/**
 * How many shards the applies of a run's staged deltas are cut into, under this client's memory cap: read
 * by the claiming run before its claim and recorded with it (applyFormat), so that whoever finishes the
 * generation cuts the same shards under the same tokens, whatever its own cap.
 */
export async function applyShards(sql: Statements, runId: string): Promise<number> {
  const [size] = await sql.rows<{ rows: string | number; cap: string | number }>(
    APPLY_SIZE_SQL,
    { run_id: runId },
    'read apply size',
  );
  return shardsFor(Number(size?.rows ?? 0), Number(size?.cap ?? 0));
}

/**
 * Applies a claimed cycle or range generation's staged rows, recomputes the values of its periods and
 * commits it: by the run that claimed it, or by a later one finishing it (`at.run_id` then is the
 * claiming run's id, owner of the staged rows). Past the claim a run stops only when its lease is lost
 * (`sql`'s signal): whoever finishes the generation applies the same rows again, which adds nothing.
 */
export async function completeGeneration(
  sql: Statements,
  kpis: KpiDefinition[],
  options: Pick<KpiRunOptions, 'periodKinds' | 'scopeKinds' | 'onPhase' | 'index766Chain' | 'onWarning'>,
  claim: Claim,
  at: ValuesAt,
  /** What the claiming run knows of its generation (a run finishing another's assumes the worst). */
  known: {
    staged: boolean;
    /** How many shards its applies are cut into: the number recorded with the claim (applyFormat). */
    shards: number;
    /** The cells' apply sums them per cell: a claim of 'sharded-v1' (applyCutOf); this code's does not. */
    summedCells?: boolean;
    stagedFacts?: boolean;
    crossedFrom?: string;
    previousChain?: LiveChain & { grow: boolean };
    /** How many dossiers changed in the run (its staged 'new' facts). */
    changedDossiers?: number;
    liveChainLinks?: number;
    knownDue?: readonly KpiSource[];
    /** The values' computed_at, when the claiming run read the clock after its claim (claimGenerationAt). */
    computedAt?: string;
    /** Whose totals to return, read with the commit's log (RUN_TOTALS_COLUMNS). */
    totalsOf?: string;
  },
): Promise<RunTotals | undefined> {
  // Applying nothing costs each statement's planning: the claiming run knows when it staged nothing, or
  // only cell deltas (a new day or year settles cells, not facts).
  if (known.staged) {
    try {
      await applyGeneration(sql, claim.gen, claim.run_id, at, known.stagedFacts ?? true, {
        shards: known.shards,
        summedCells: known.summedCells ?? false,
      });
    } catch (err) {
      // An apply is cut into shards of one chunk each that cannot spill (ONE_CHUNK_INSERT), as many as its
      // claim says: past the statement's memory limit a shard fails the same way on every run (with the
      // same claim), and more shards would write other blocks than those already written. Finishing it again
      // would only fail until FINISHABLE_MS; the generation is given up at once instead, and the next run
      // rebuilds (its statements spill, from emptied tables: whatever this apply wrote is not counted twice).
      if (clickHouseErrorCode(err) === CLICKHOUSE_CODES.MEMORY_LIMIT_EXCEEDED) {
        options.onWarning?.(
          `generation ${claim.gen} abandoned: its apply exceeded the memory limit; the next run rebuilds`,
          { gen: claim.gen, run_id: claim.run_id, error: err instanceof Error ? err.message : String(err) },
        );
        await abandonGeneration(sql.clickhouse, claim);
      }
      throw err;
    }
  }
  options.onPhase?.('applied');
  // Only cycles skip an unchanged Decision 766 statement: a range is asked for on purpose.
  const chain = await computeValues(sql, kpis, options.scopeKinds, options.periodKinds, at, {
    skipUnchangedIndex766: claim.kind === 'cycle',
    index766FromInputs: claim.kind === 'cycle',
    crossedFrom: known.crossedFrom,
    chainLimits: options.index766Chain,
    previousChain: known.previousChain,
    changedDossiers: known.changedDossiers,
    liveChainLinks: known.liveChainLinks,
    knownDue: known.knownDue,
    computedAt: known.computedAt,
  });
  options.onPhase?.('computed');
  // A range leaves the watermark to the cycles, and its live cells judge only the periods it computed.
  const range = claim.kind === 'range';
  const totals = await commitGeneration(
    sql.clickhouse,
    claim,
    kpis,
    range,
    range ? '' : at.live_id,
    chain,
    known.totalsOf,
  );
  options.onPhase?.('committed');
  return totals;
}

/** Applies a staged generation; each insert carries a token of the generation and its run. */
async function applyGeneration(
  sql: Statements,
  gen: number,
  owner: string,
  at: ValuesAt,
  stagedFacts: boolean,
  cut: ApplyCut,
): Promise<void> {
  const token = `kpi-gen-${gen}-${owner}`;
  const run = { ...at, run_id: owner };
  await applyCellDeltas(sql, token, run, cut);
  if (!stagedFacts) return;
  await sql.command(APPLY_OPEN_FACTS_SQL, run, { settings: { insert_deduplication_token: `${token}-open` } });
  await sql.command(APPLY_AT_RISK_OPEN_SQL, run, {
    settings: { insert_deduplication_token: `${token}-at-risk` },
  });
  await sql.command(APPLY_FACTS_SQL, run);
}

/**
 * The staged cell deltas into the cell and scope tables, each table's apply cut by key into `shards`
 * statements (one when 1, as before 'sharded-v1'), each one chunk and block (ONE_CHUNK_INSERT) under a
 * token of its own: a re-run after a crash mid-apply, in as many shards, skips each shard already written
 * whole and writes the others. A shard holds the rows whose output key hashes to it (sql/generation.sql.ts
 * inShard), so its one chunk takes about 1/shards of the memory, and reads every staged row again. The
 * cells are copied as staged, or summed per cell for a claim of 'sharded-v1' (`summedCells`).
 */
export async function applyCellDeltas(
  sql: Statements,
  token: string,
  run: StatementParams,
  { shards, summedCells }: ApplyCut,
): Promise<void> {
  const layout = dossierCellLayout();
  // The scope statements group by their table's key, so the summing tables' merge of each inserted block
  // finds nothing to sum or drop; skipping it wrote the same rows for about a fifth less CPU. The cells'
  // copy leaves a cell's rows to the table's merges, as any insert of a summing table may.
  const settings = { ...ONE_CHUNK_INSERT, optimize_on_insert: '0' };
  const sharded = shards > 1;
  // The cells' apply on one thread: two would each gather (or, summed, group) about half the rows, then
  // merge them on one thread. The summed GROUP BY's keys are nearly all distinct (a catch-up's settled days,
  // one staged row per cell): a catch-up's 1.68M staged rows at 200k dossiers took 3.74-3.97 CPU-s on two
  // threads against 2.82-3.37 on one, the same rows. Still one chunk (single level, no spill).
  const applies: [string, string, Record<string, string>][] = [
    [applyCellsSql(layout, sharded, summedCells), 'cells', { max_threads: '1' }],
    [scopeCellsSql(layout, STAGED_DELTAS, false, sharded), 'scope-cells', {}],
    [scopeProceduresSql(layout, STAGED_DELTAS, false, sharded), 'scope-procedures', {}],
  ];
  for (const [query, name, own] of applies) {
    for (let shard = 0; shard < shards; shard++) {
      const shardToken = sharded ? `${token}-${name}-${shard}-of-${shards}` : `${token}-${name}`;
      await sql.command(query, sharded ? { ...run, shards, shard } : run, {
        settings: { insert_deduplication_token: shardToken, ...settings, ...own },
      });
    }
  }
}

/**
 * Reads the generation log (with the server's clock: GenerationLog.serverNow) and deals with a generation claimed but not committed: while its run may still
 * be working (its lease is alive; for a claim without a lease, claimed less than staleAfterMs ago) this
 * run stands aside; once its run is dead or released it, a staged cycle or range is finished from its
 * staged rows (applying them again is harmless), unless these may have expired or its claim was made by
 * code that cuts its applies into other blocks (APPLY_FORMAT); a rebuild is resumed
 * from its last recorded step (`resumed`, rebuild.ts); a rebuild that recorded none, or a generation too
 * old to finish, is marked abandoned, so that this run rebuilds instead.
 */
export async function settlePending(
  clickhouse: ClickHouse,
  options: KpiRunOptions,
  lease: HeldLease | undefined,
): Promise<(GenerationLog & { resumed?: KpiRunResult }) | { skipped: string }> {
  const log = await readGenerationLog(clickhouse);
  const { pending } = log;
  if (!pending) return log;
  const age = utcDate(log.serverNow).getTime() - utcDate(pending.created_at).getTime();
  const cut = applyCutOf(pending.apply_format);
  if (!log.released) {
    const alive = await options.leases?.isAlive(pending.run_id);
    if (alive === true || (alive === undefined && age < (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS))) {
      return { skipped: `generation ${pending.gen} is being computed by run ${pending.run_id}` };
    }
  }
  if (pending.kind === 'rebuild') {
    const resumed = await resumeRebuild(
      clickhouse,
      options,
      lease,
      pending,
      log.committed?.judged_at ?? EPOCH,
    );
    if (resumed?.mode === 'skipped') return { skipped: resumed.skippedReason ?? 'rebuild taken over first' };
    if (resumed) return { ...(await readGenerationLog(clickhouse)), resumed };
    await abandonGeneration(clickhouse, pending);
  } else if (age > FINISHABLE_MS) {
    await abandonGeneration(clickhouse, pending);
  } else if (cut === undefined) {
    // Claimed by code that cuts its applies into other blocks (APPLY_FORMAT): what it applied would not
    // be recognized by this code's blocks, and would count twice.
    options.onWarning?.(
      `generation ${pending.gen} abandoned: claimed by code of another apply format; this run rebuilds`,
      {
        gen: pending.gen,
        run_id: pending.run_id,
        apply_format: pending.apply_format,
        expected: APPLY_FORMAT,
      },
    );
    await abandonGeneration(clickhouse, pending);
  } else {
    await completeGeneration(
      statements(clickhouse, { trace: options.trace }),
      selectKpis(),
      options,
      pending,
      {
        run_id: pending.run_id,
        // Not this run's own id: its own cycle stages live cells of another instant next.
        live_id: `${options.runId}:finishing`,
        now: pending.judged_at,
        day_floor: pending.kind === 'range' ? EPOCH_DAY : pending.day_floor,
      },
      { staged: true, ...cut },
    );
  }
  return readGenerationLog(clickhouse);
}
