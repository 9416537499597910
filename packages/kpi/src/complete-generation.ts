import { CLICKHOUSE_CODES, type ClickHouse, clickHouseErrorCode } from '@dossier/clickhouse';
import { APPLY_AT_RISK_OPEN_SQL } from './at-risk/at-risk.sql.ts';
import { selectKpis } from './catalog.ts';
import { dossierCellLayout } from './cell-layout.ts';
import type { HeldLease } from './claim-lease.ts';
import { computeValues, type ValuesAt } from './compute-values.ts';
import {
  APPLY_FORMAT,
  abandonGeneration,
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
  applyCellsSql,
  ONE_CHUNK_INSERT,
  STAGED_DELTAS,
  scopeCellsSql,
  scopeProceduresSql,
} from './sql/generation.sql.ts';
import { type StatementParams, type Statements, statements } from './statements.ts';
import { EPOCH, EPOCH_DAY, utcDate } from './utc.ts';

const DEFAULT_STALE_AFTER_MS = 30 * 60_000;

/** Staged rows expire after 6 hours (migrations 0022, 0023): a generation older than this cannot be finished. */
const FINISHABLE_MS = 5 * 3_600_000;

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
    stagedFacts?: boolean;
    crossedFrom?: string;
    previousChain?: LiveChain & { grow: boolean };
    liveChainLinks?: number;
    knownDue?: readonly KpiSource[];
  } = { staged: true },
): Promise<void> {
  // Applying nothing costs each statement's planning: the claiming run knows when it staged nothing, or
  // only cell deltas (a new day or year settles cells, not facts).
  if (known.staged) {
    try {
      await applyGeneration(sql, claim.gen, claim.run_id, at, known.stagedFacts ?? true);
    } catch (err) {
      // An apply is one chunk that cannot spill (ONE_CHUNK_INSERT): past the statement's memory limit it
      // fails the same way on every run. Finishing it again would only fail until FINISHABLE_MS; the
      // generation is given up at once instead, and the next run rebuilds (its statements spill, from
      // emptied tables: whatever statements of this apply wrote before is not counted twice).
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
    crossedFrom: known.crossedFrom,
    chainLimits: options.index766Chain,
    previousChain: known.previousChain,
    liveChainLinks: known.liveChainLinks,
    knownDue: known.knownDue,
  });
  options.onPhase?.('computed');
  // A range leaves the watermark to the cycles, and its live cells judge only the periods it computed.
  const range = claim.kind === 'range';
  await commitGeneration(sql.clickhouse, claim, kpis, range, range ? '' : at.live_id, chain);
  options.onPhase?.('committed');
}

/** Applies a staged generation; each insert carries a token of the generation and its run. */
async function applyGeneration(
  sql: Statements,
  gen: number,
  owner: string,
  at: ValuesAt,
  stagedFacts: boolean,
): Promise<void> {
  const token = `kpi-gen-${gen}-${owner}`;
  const run = { ...at, run_id: owner };
  await applyCellDeltas(sql, token, run);
  if (!stagedFacts) return;
  await sql.command(APPLY_OPEN_FACTS_SQL, run, { settings: { insert_deduplication_token: `${token}-open` } });
  await sql.command(APPLY_AT_RISK_OPEN_SQL, run, {
    settings: { insert_deduplication_token: `${token}-at-risk` },
  });
  await sql.command(APPLY_FACTS_SQL, run);
}

/**
 * The staged cell deltas into the cell and scope tables, each statement under the generation's token
 * (`token`) as one chunk and block (ONE_CHUNK_INSERT): a re-run after a crash mid-statement is skipped whole.
 */
export async function applyCellDeltas(sql: Statements, token: string, run: StatementParams): Promise<void> {
  const layout = dossierCellLayout();
  // These three statements group by their table's key, so the summing tables' merge of each inserted
  // block finds nothing to sum or drop; skipping it wrote the same rows for about a fifth less CPU.
  const settings = { ...ONE_CHUNK_INSERT, optimize_on_insert: '0' };
  await sql.command(applyCellsSql(layout), run, {
    settings: { insert_deduplication_token: `${token}-cells`, ...settings },
  });
  await sql.command(scopeCellsSql(layout, STAGED_DELTAS, false), run, {
    settings: { insert_deduplication_token: `${token}-scope-cells`, ...settings },
  });
  await sql.command(scopeProceduresSql(layout, STAGED_DELTAS, false), run, {
    settings: { insert_deduplication_token: `${token}-scope-procedures`, ...settings },
  });
}

/**
 * Reads the generation log and deals with a generation claimed but not committed: while its run may still
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
  serverTime: string,
  lease: HeldLease | undefined,
): Promise<(GenerationLog & { resumed?: KpiRunResult }) | { skipped: string }> {
  const log = await readGenerationLog(clickhouse);
  const { pending } = log;
  if (!pending) return log;
  const age = utcDate(serverTime).getTime() - utcDate(pending.created_at).getTime();
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
  } else if (pending.apply_format !== APPLY_FORMAT) {
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
    );
  }
  return readGenerationLog(clickhouse);
}
