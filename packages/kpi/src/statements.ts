import type { ClickHouse } from '@dossier/clickhouse';
import { RUN_TOTALS_COLUMNS } from './sql/generation.sql.ts';

/** The server's clock as the KPI statements' `YYYY-MM-DD HH:MM:SS.mmm` UTC text. */
const SERVER_NOW_SQL = "SELECT toString(now64(3, 'UTC')) AS now";

/** A run's periods and the values it wrote (RUN_TOTALS_COLUMNS). */
const RUN_TOTALS_SQL = `SELECT ${RUN_TOTALS_COLUMNS}`;

/**
 * Settings every KPI statement runs with. `optimize_and_compare_chain` off: the analyzer's pass that adds,
 * to every AND chain of comparisons, the comparisons they imply (`a < b AND b < 5` gains `a < 5`) took
 * 40% of the crossed statement's planning (0.14 → 0.085 CPU-s on an empty store) and 30–45% of the live
 * cells' and the cell deltas', whose participation rows chain instants (start, finish, judged at, period
 * end); the derived comparisons only filter rows the chain already excludes, so no result changes.
 */
export const KPI_STATEMENT_SETTINGS: Readonly<Record<string, string>> = { optimize_and_compare_chain: '0' };

/**
 * Every query parameter a KPI statement may mention (`{run_id:String}` …). A statement is sent only the
 * ones its text mentions: ClickHouse rejects unused ones on some versions.
 */
export interface StatementParams {
  /** Owner of the staged rows applied (the claiming run's id when a later run finishes its generation). */
  run_id?: string;
  /** Owner of the live cells and staged values this run computes. */
  live_id?: string;
  /** Where the live cells read are (sql/cells.sql.ts LIVE_ROWS): a run's 'live' rows and 'crossed' links. */
  live_base?: string;
  live_links?: readonly string[];
  /** The previous generation's live id (its Decision 766 stored inputs' tag: index766/stored-inputs.ts). */
  previous_live_id?: string;
  /** The same for the previous generation's live cells (a crossing-only cycle starts from them). */
  previous_live_base?: string;
  previous_live_links?: readonly string[];
  /** Whether a cycle's probe counts the open dossiers that crossed an instant (sql/cycle-probe.sql.ts). */
  ask_crossed?: number;
  /** The instant the generation judges open dossiers at. */
  now?: string;
  /** The previous generation's instant: cells stand judged at it. */
  judged_before?: string;
  /** The previous cycle's instant, from which ended periods are judged one last time. */
  previous_now?: string;
  /** First day period built and maintained. */
  day_floor?: string;
  /** Ingestion-time window (`ingested_at` in (from, to]). */
  from?: string;
  to?: string;
  /** A backfill's city dates, inclusive. */
  from_date?: string;
  to_date?: string;
  /** A staged values row set, and what writing it needs (see compute-values.ts). */
  values_id?: string;
  computed_at?: string;
  kpi_ids?: readonly string[];
  scope_kinds?: readonly string[];
  stated_score_kpis?: readonly string[];
  /** Tags of kpi_index766_scope_inputs_v1 a scope's stored inputs are looked up through, nearest first. */
  input_tags?: readonly string[];
  /** A hash of the Decision 766 statement's text, part of its inputs' fingerprint (index766-inputs.ts). */
  index766_code?: string;
  /** Days a catalog row's validity starts or ends on, after {previous_now}'s up to {now}'s (CATALOG_BOUNDARIES_SQL). */
  catalog_boundaries?: readonly string[];
  /** The code of the Decision 766 running inputs a marker is written with (index766-running.ts). */
  inputs_code?: string;
  /** A running cycle's Decision 766 periods (index766/running-deltas.ts RUNNING_PERIODS_SQL), pairwise. */
  running_kinds?: readonly string[];
  running_starts?: readonly string[];
  /** Where a cycle computing its Decision 766 index from stored inputs keeps its settled periods' (index766-statement.ts). */
  settled_tag?: string;
  /** The agencies whose staged rows may move a running cycle's Decision 766 inputs (MOVED_KEYS_SQL): their units, pairwise. */
  moved_kinds?: readonly string[];
  moved_starts?: readonly string[];
  moved_units?: readonly string[];
  /** The chains of those agencies (running-deltas.ts MOVED_ROLLUP_SQL), pairwise: agency → unit. */
  rollup_agencies?: readonly string[];
  rollup_units?: readonly string[];
  t_kpi?: readonly string[];
  t_from?: readonly string[];
  t_to?: readonly string[];
  t_scope_kind?: readonly string[];
  t_code_prefix?: readonly string[];
  t_value?: readonly number[];
  t_strict?: readonly number[];
  role?: string;
  /** An apply cut into {shards} statements by key: the one for shard {shard} (0-based). */
  shards?: number;
  shard?: number;
  /** A range of periods of one kind: [range_from, range_to) (sql/verify.sql.ts PERIOD_RANGE_SQL). */
  range_kind?: string;
  range_from?: string;
  range_to?: string;
  /** A rebuild's slice of dossier codes: [slice_from, slice_to), '' as slice_to for no upper bound. */
  slice_from?: string;
  slice_to?: string;
  /** A rebuild's identity in kpi_rebuild_steps_v1 (rebuild-steps.ts). */
  rebuild?: string;
}

export interface StatementOptions {
  /** A constant label for traces (default: the statement's target and first source table). */
  label?: string;
  settings?: Record<string, string>;
}

export interface RunnerOptions {
  /** Called after each statement with a constant label and its duration (benchmark breakdowns). */
  trace?: (label: string, ms: number) => void;
  /** Aborts the next command (shutdown before a claim); reads are not interrupted. */
  signal?: AbortSignal;
}

/** Runs a KPI run's statements on one client, tracing each and honouring the run's abort signal. */
export interface Statements {
  readonly clickhouse: ClickHouse;
  readonly trace?: (label: string, ms: number) => void;
  /** The run's abort signal (shutdown, or past a claim the loss of its lease). */
  readonly signal?: AbortSignal;
  command(query: string, params: StatementParams, options?: StatementOptions): Promise<void>;
  /** Rows of a query, traced under `label` when given (reads cost their planning too). */
  rows<T>(query: string, params?: StatementParams, label?: string): Promise<T[]>;
  /** Whether a `SELECT count() AS n …` statement counts more than zero. */
  exists(query: string, params: StatementParams): Promise<boolean>;
  /** Rows of a run's scratch table (a constant name from this package) tagged with `runId`. */
  countRun(table: string, runId: string): Promise<number>;
  /** A run's periods (kpi_run_periods_v1) and the values it wrote (kpi_current_v1), in one read. */
  runTotals(runId: string): Promise<RunTotals>;
  /** ClickHouse's clock, `YYYY-MM-DD HH:MM:SS.mmm` UTC. */
  serverNow(): Promise<string>;
  /**
   * The same runner with another abort signal: once a generation is claimed, shutdown no longer stops
   * the run, only the loss of its lease does (see claim-lease.ts).
   */
  withSignal(signal: AbortSignal | undefined): Statements;
}

export function statements(clickhouse: ClickHouse, options: RunnerOptions = {}): Statements {
  const { trace, signal } = options;
  const rows = async <T>(query: string, params: StatementParams = {}, label?: string) => {
    const began = performance.now();
    const result = await clickhouse.query({
      query,
      query_params: pick(query, params),
      format: 'JSONEachRow',
      clickhouse_settings: KPI_STATEMENT_SETTINGS,
    });
    const read = await result.json<T>();
    if (label) trace?.(label, performance.now() - began);
    return read;
  };
  return {
    clickhouse,
    trace,
    signal,
    async command(query, params, { label, settings } = {}) {
      const began = performance.now();
      await clickhouse.command({
        query,
        query_params: pick(query, params),
        abort_signal: signal,
        clickhouse_settings: { ...KPI_STATEMENT_SETTINGS, ...settings },
      });
      trace?.(label ?? statementLabel(query), performance.now() - began);
    },
    rows,
    async exists(query, params) {
      const [row] = await rows<{ n: string | number }>(
        query,
        params,
        `read ${/FROM (\w+)/.exec(query)?.[1] ?? ''}`,
      );
      return Number(row?.n ?? 0) > 0;
    },
    async countRun(table, runId) {
      const [row] = await rows<{ n: string | number }>(
        `SELECT count() AS n FROM ${table} WHERE run_id = {run_id:String}`,
        { run_id: runId },
        `read ${table} count`,
      );
      return Number(row?.n ?? 0);
    },
    async runTotals(runId) {
      const [row] = await rows<Record<'run_periods' | 'run_written', string | number>>(
        RUN_TOTALS_SQL,
        { run_id: runId },
        'read run totals',
      );
      return runTotalsOf(row);
    },
    async serverNow() {
      const [row] = await rows<{ now: string }>(SERVER_NOW_SQL, {}, 'read server time');
      if (!row) throw new Error('ClickHouse returned no time');
      return row.now;
    },
    withSignal: (other) => statements(clickhouse, { trace, signal: other }),
  };
}

/** RUN_TOTALS_COLUMNS of a row read (0 when absent). */
export function runTotalsOf(
  row: Partial<Record<'run_periods' | 'run_written', string | number>> | undefined,
): RunTotals {
  return { periodsRecomputed: Number(row?.run_periods ?? 0), rowsWritten: Number(row?.run_written ?? 0) };
}

export interface RunTotals {
  periodsRecomputed: number;
  rowsWritten: number;
}

/** Only the parameters a statement mentions are sent: ClickHouse rejects unused ones on some versions. */
function pick(query: string, params: StatementParams): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).filter(([k, v]) => v !== undefined && query.includes(`{${k}:`)),
  );
}

/** A short constant label for a statement: its target table and the first source table. */
function statementLabel(query: string): string {
  const target = /(?:INSERT INTO|TRUNCATE TABLE) (\w+)/.exec(query)?.[1] ?? 'statement';
  const from = /FROM (\w+)/.exec(query)?.[1] ?? '';
  return `${target} <- ${from}`;
}
