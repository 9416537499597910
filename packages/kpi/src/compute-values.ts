import { dossierCellLayout } from './cell-layout.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import type { PeriodKind, ScopeKind } from './periods.ts';
import { DOSSIER_PURPOSES, dossierValuesSql } from './sql/cells.sql.ts';
import { stageLiveCellsSql } from './sql/generation.sql.ts';
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
): Promise<void> {
  const layout = dossierCellLayout();
  const computedAt = await sql.serverNow();
  const bySource = {
    dossier: kpis.filter((k) => k.source === 'dossier'),
    procedure: kpis.filter((k) => k.source === 'procedure'),
  };
  const statements = periodKinds.flatMap((kind) =>
    (['dossier', 'procedure'] as const)
      .filter((source) => bySource[source].length > 0)
      .map((source) => ({
        kind,
        source,
        purposes: source === 'dossier' ? DOSSIER_PURPOSES : PROCEDURE_PURPOSES,
      })),
  );
  // A statement over no period writes nothing but still costs its planning and catalog reads.
  const counts = await runPeriodCounts(sql, statements, at);
  const dossierKinds = statements
    .filter((st, i) => st.source === 'dossier' && counts[i] !== 0)
    .map((st) => st.kind);
  if (dossierKinds.length > 0) {
    await sql.command(stageLiveCellsSql(dossierKinds, layout), at, { label: 'kpi_stage_cells_v1 <- live' });
  }
  // The dossier KPIs of every kind in one statement (planning one costs about what running it does);
  // the catalog KPIs, due only when the day or the catalog changed, per kind.
  const writes = [
    ...(dossierKinds.length > 0 ? [{ kinds: dossierKinds, source: 'dossier' as const }] : []),
    ...statements
      .filter((st, i) => st.source === 'procedure' && counts[i] !== 0)
      .map((st) => ({ kinds: [st.kind], source: 'procedure' as const })),
  ];
  for (const { kinds, source } of writes) {
    const group = bySource[source];
    const ids = group.map((k) => k.id);
    const pointed = group.filter((k) => k.points);
    const rows =
      source === 'dossier' ? dossierValuesSql(kinds, group, layout) : procedureKpisSql(kinds[0]!, group);
    const purposes = source === 'dossier' ? DOSSIER_PURPOSES : PROCEDURE_PURPOSES;
    // Computed into a scratch table, then compared: one statement doing both took longer to plan.
    const params: StatementParams = {
      ...at,
      values_id: `${at.live_id}:${source}:${kinds.join('+')}`,
      computed_at: computedAt,
      kpi_ids: ids,
      scope_kinds: [...scopeKinds],
    };
    await sql.command(stageValuesSql(rows), params, {
      label: `kpi_stage_values_v1 <- ${source} ${kinds.join('+')}`,
    });
    await sql.command(
      writeChangedValuesSql(kinds, purposes, STAGED_VALUES_SQL),
      {
        ...params,
        ...targetRuleParams(ids),
        p_kpi: pointed.map((k) => k.id),
        p_max: pointed.map((k) => k.points?.max ?? 0),
        p_full: pointed.map((k) => k.points?.fullAt ?? 1),
        score_override_kpis: group.filter((k) => k.sql.score).map((k) => k.id),
        stated_score_kpis: [],
      },
      { label: `kpi_values_v1 <- ${source} ${kinds.join('+')}` },
    );
  }
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
