import type { ClickHouse } from '@dossier/clickhouse';
import { selectKpis } from './catalog.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import type { PeriodKind, ScopeKind } from './periods.ts';
import { DOSSIER_PURPOSES, dossierKpisSql } from './sql/dossier-kpis.sql.ts';
import { refreshFactsSql } from './sql/facts.sql.ts';
import { PROCEDURE_PURPOSES, procedureKpisSql } from './sql/procedure-kpis.sql.ts';
import {
  CATALOG_TOUCHED_DOSSIERS_SQL,
  currentPeriodSql,
  rangePeriodsSql,
  runPeriodCountsSql,
  TOUCHED_DOSSIERS_SQL,
  touchedCatalogPeriodsSql,
  touchedDossierPeriodsSql,
} from './sql/run-periods.sql.ts';
import {
  JUDGED_NAME,
  READ_WATERMARK_SQL,
  SERVER_NOW_SQL,
  WATERMARK_NAME,
  WATERMARK_TABLE,
} from './sql/watermark.sql.ts';
import { writeChangedValuesSql } from './sql/write-values.sql.ts';
import { targetRuleParams } from './targets.ts';

export interface KpiRunScope {
  /** Identifies the run's scratch rows and its rows in kpi_values_v1. */
  runId: string;
  periodKinds: readonly PeriodKind[];
  scopeKinds: readonly ScopeKind[];
  /** Restricts the run to these KPI ids (default: the whole catalog). */
  kpiIds?: readonly string[];
  /** `YYYY-MM-DD HH:MM:SS.mmm` UTC: judges open dossiers, bounds the current period. Default: server now. */
  now?: string;
  /** Day periods older than this many days before `now` are not recomputed (default: no limit). */
  dayHorizonDays?: number;
  /** Called after each statement with a constant label and its duration (benchmark breakdowns). */
  trace?: (label: string, ms: number) => void;
  /** Abandons the run before its next statement (shutdown); nothing is saved, so the next run redoes it. */
  signal?: AbortSignal;
}

/**
 * Cycles always cover the whole catalog: they advance the one shared watermark and replace dossier facts,
 * so a cycle for some KPIs would lose, for the others, the periods the touched dossiers left.
 */
export interface KpiCycleOptions extends Omit<KpiRunScope, 'kpiIds'> {
  /** Overlap re-read behind the watermark, for inserts whose ingested_at was set before they became visible. */
  graceMs: number;
}

export interface KpiRunResult {
  runId: string;
  kpiIds: string[];
  /** Ingestion-time window the run covered (cycles only). */
  window?: { from: string; to: string };
  dossiersRefreshed: number;
  periodsRecomputed: number;
  rowsWritten: number;
}

const EPOCH = '1970-01-01 00:00:00.000';

/**
 * One incremental cycle: refresh the facts of dossiers touched since the watermark (events or catalog rows
 * ingested in the window), recompute every period they left or joined plus the current periods, write the
 * values that changed, then advance the watermark. Safe to repeat or run concurrently: every step is a
 * function of what is stored, and a repeated window only recomputes the same values.
 */
export async function runKpiCycle(clickhouse: ClickHouse, options: KpiCycleOptions): Promise<KpiRunResult> {
  const kpis = selectKpis();
  const to = await serverNow(clickhouse);
  const watermark = await readWatermark(clickhouse, WATERMARK_NAME);
  const previousNow = await readWatermark(clickhouse, JUDGED_NAME);
  const from = watermark ? shiftMs(watermark, -options.graceMs) : EPOCH;
  const now = options.now ?? to;
  const base = {
    run_id: options.runId,
    from,
    to,
    now,
    previous_now: previousNow ?? EPOCH,
    day_floor: dayFloor(now, options),
    trace: options.trace,
    signal: options.signal,
  };

  // The first cycle (no watermark) builds every dossier's facts without listing them one by one.
  const firstCycle = watermark === undefined;
  if (firstCycle) {
    await command(clickhouse, refreshFactsSql('all'), base);
  } else {
    await command(clickhouse, TOUCHED_DOSSIERS_SQL, base);
    await command(clickhouse, CATALOG_TOUCHED_DOSSIERS_SQL, base);
    for (const kind of options.periodKinds) await command(clickhouse, touchedDossierPeriodsSql(kind), base);
    await command(clickhouse, refreshFactsSql('run'), base);
  }
  for (const kind of options.periodKinds) {
    await command(clickhouse, touchedDossierPeriodsSql(kind, firstCycle ? 'all' : 'run'), base);
    await command(clickhouse, touchedCatalogPeriodsSql(kind), base);
    await command(clickhouse, currentPeriodSql(kind), base);
  }
  await computeAndWrite(clickhouse, kpis, options, base);
  await saveProgress(clickhouse, [WATERMARK_NAME, ...kpis.map((k) => `kpi:${k.id}`)], to);
  await saveProgress(clickhouse, [JUDGED_NAME], now);
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    window: { from, to },
    dossiersRefreshed: firstCycle
      ? await countFacts(clickhouse)
      : await count(clickhouse, 'kpi_run_dossiers_v1', options.runId),
    periodsRecomputed: await count(clickhouse, 'kpi_run_periods_v1', options.runId),
    rowsWritten: await count(clickhouse, 'kpi_current_v1', options.runId),
  };
}

async function countFacts(clickhouse: ClickHouse): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    clickhouse,
    'SELECT uniqExact(dossier_code) AS n FROM kpi_dossier_facts_v1',
  );
  return Number(row?.n ?? 0);
}

export interface BackfillOptions extends KpiRunScope {
  /** City dates `YYYY-MM-DD`, inclusive: every period overlapping them is recomputed. */
  fromDate: string;
  toDate: string;
  /** Rebuild every dossier's facts first (after a formula or catalog fix). Default true. */
  refreshFacts?: boolean;
}

/** Recomputes every period overlapping a date range, for all or some KPIs; leaves the watermark alone. */
export async function backfillKpis(clickhouse: ClickHouse, options: BackfillOptions): Promise<KpiRunResult> {
  const kpis = selectKpis(options.kpiIds);
  const now = options.now ?? (await serverNow(clickhouse));
  const base = {
    run_id: options.runId,
    now,
    // A backfill recomputes exactly the range it is asked for, however old.
    day_floor: '1970-01-01',
    from_date: options.fromDate,
    to_date: options.toDate,
    trace: options.trace,
    signal: options.signal,
  };
  if (options.refreshFacts !== false) await command(clickhouse, refreshFactsSql('all'), base);
  for (const kind of options.periodKinds) await command(clickhouse, rangePeriodsSql(kind), base);
  await computeAndWrite(clickhouse, kpis, options, base);
  await saveProgress(
    clickhouse,
    kpis.map((k) => `kpi:${k.id}`),
    now,
  );
  return {
    runId: options.runId,
    kpiIds: kpis.map((k) => k.id),
    dossiersRefreshed: 0,
    periodsRecomputed: await count(clickhouse, 'kpi_run_periods_v1', options.runId),
    rowsWritten: await count(clickhouse, 'kpi_current_v1', options.runId),
  };
}

async function computeAndWrite(
  clickhouse: ClickHouse,
  kpis: KpiDefinition[],
  scope: KpiRunScope,
  base: Record<string, unknown>,
): Promise<void> {
  const computedAt = await serverNow(clickhouse);
  const bySource = {
    dossier: kpis.filter((k) => k.source === 'dossier'),
    procedure: kpis.filter((k) => k.source === 'procedure'),
  };
  const statements = scope.periodKinds.flatMap((kind) =>
    (['dossier', 'procedure'] as const)
      .filter((source) => bySource[source].length > 0)
      .map((source) => ({
        kind,
        source,
        purposes: source === 'dossier' ? DOSSIER_PURPOSES : PROCEDURE_PURPOSES,
      })),
  );
  // A statement over no period writes nothing but still costs its planning and catalog reads.
  const counts = await runPeriodCounts(clickhouse, statements, base);
  for (const [i, { kind, source, purposes }] of statements.entries()) {
    if (counts[i] === 0) continue;
    const group = bySource[source];
    const ids = group.map((k) => k.id);
    const pointed = group.filter((k) => k.points);
    const rows = source === 'dossier' ? dossierKpisSql(kind, group) : procedureKpisSql(kind, group);
    await command(clickhouse, writeChangedValuesSql(kind, purposes, rows), {
      ...base,
      label: `kpi_values_v1 <- ${source} ${kind}`,
      computed_at: computedAt,
      kpi_ids: ids,
      scope_kinds: [...scope.scopeKinds],
      ...targetRuleParams(ids),
      p_kpi: pointed.map((k) => k.id),
      p_max: pointed.map((k) => k.points?.max ?? 0),
      p_full: pointed.map((k) => k.points?.fullAt ?? 1),
      score_override_kpis: group.filter((k) => k.sql.score).map((k) => k.id),
    });
  }
}

async function runPeriodCounts(
  clickhouse: ClickHouse,
  groups: readonly { kind: PeriodKind; purposes: readonly string[] }[],
  base: Record<string, unknown>,
): Promise<number[]> {
  const query = runPeriodCountsSql(groups);
  const began = performance.now();
  const params = Object.fromEntries(Object.entries(base).filter(([k]) => query.includes(`{${k}:`)));
  const [row] = await queryRows<Record<string, string | number>>(clickhouse, query, params);
  (base.trace as KpiRunScope['trace'])?.('kpi_run_periods_v1 counts', performance.now() - began);
  return groups.map(({ kind }, i) => Number(row?.[`${kind}_${i}`] ?? 1));
}

async function command(
  clickhouse: ClickHouse,
  query: string,
  params: Record<string, unknown>,
): Promise<void> {
  // Only the parameters a statement mentions are sent: ClickHouse rejects unused ones on some versions.
  const query_params = Object.fromEntries(Object.entries(params).filter(([k]) => query.includes(`{${k}:`)));
  const began = performance.now();
  await clickhouse.command({ query, query_params, abort_signal: params.signal as AbortSignal | undefined });
  const trace = params.trace as KpiRunScope['trace'];
  trace?.(String(params.label ?? statementLabel(query)), performance.now() - began);
}

/** A short constant label for a statement: its target table and the first source table. */
function statementLabel(query: string): string {
  const target = /INSERT INTO (\w+)/.exec(query)?.[1] ?? 'statement';
  const from = /FROM (\w+)/.exec(query)?.[1] ?? '';
  return `${target} <- ${from}`;
}

async function queryRows<T>(clickhouse: ClickHouse, query: string, params: Record<string, unknown> = {}) {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

async function serverNow(clickhouse: ClickHouse): Promise<string> {
  const [row] = await queryRows<{ now: string }>(clickhouse, SERVER_NOW_SQL);
  if (!row) throw new Error('ClickHouse returned no time');
  return row.now;
}

async function readWatermark(clickhouse: ClickHouse, name: string): Promise<string | undefined> {
  const rows = await queryRows<{ watermark: string }>(clickhouse, READ_WATERMARK_SQL, { name });
  return rows[0]?.watermark;
}

async function saveProgress(clickhouse: ClickHouse, names: string[], watermark: string): Promise<void> {
  const updatedAt = await serverNow(clickhouse);
  await clickhouse.insert({
    table: WATERMARK_TABLE,
    values: names.map((name) => ({ name, watermark, updated_at: updatedAt })),
    format: 'JSONEachRow',
  });
}

// Table names are constants from this module; the run id is a parameter.
async function count(clickhouse: ClickHouse, table: string, runId: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    clickhouse,
    `SELECT count() AS n FROM ${table} WHERE run_id = {run_id:String}`,
    { run_id: runId },
  );
  return Number(row?.n ?? 0);
}

function dayFloor(now: string, scope: KpiRunScope): string {
  if (scope.dayHorizonDays === undefined) return '1970-01-01';
  return shiftMs(now, -scope.dayHorizonDays * 86_400_000).slice(0, 10);
}

/** Shifts a `YYYY-MM-DD HH:MM:SS.mmm` UTC timestamp by `ms`. */
export function shiftMs(timestamp: string, ms: number): string {
  const t = Date.parse(`${timestamp.replace(' ', 'T')}Z`) + ms;
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}
