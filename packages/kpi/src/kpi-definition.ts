import { type Phase, SCOPE_KINDS, type ScopeKind } from './periods.ts';

export type Comparator = 'gt' | 'gte';

/** A target applies to periods starting within a phase or a calendar year, optionally to some scopes only. */
export interface TargetRule {
  phase?: Phase;
  year?: number;
  comparator: Comparator;
  /** A ratio in 0..1. */
  value: number;
  /** Restricts the rule to rows of this scope kind whose code starts with one of the prefixes. */
  scope?: { kind: ScopeKind; codePrefixes: readonly string[] };
  note?: string;
}

/**
 * Where a KPI's numbers come from:
 * - `dossier`: aggregates over one row per (dossier, period it takes part in) of kpi_dossier_facts_v1,
 *   with flags in_received, in_finished, resolved, on_time (see sql/cells.sql.ts);
 * - `procedure`: aggregates over the procedure catalog valid at the period end;
 * - `index766`: a Decision 766 component, group or total (index766/components.ts), scored by
 *   sql/index766-values.sql.ts from the cells' named counters, the catalog and the agency hierarchy.
 */
export type KpiSource = 'dossier' | 'procedure' | 'index766';

export interface KpiDefinition {
  id: string;
  name: { vi: string; en: string };
  formula: { vi: string; en: string };
  unit: 'ratio';
  source: KpiSource;
  scopes: readonly ScopeKind[];
  targets: readonly TargetRule[];
  /** Aggregate expressions (countIf …) over the source rows (none for `index766`). Constants only. */
  sql?: {
    numerator: string;
    denominator: string;
  };
}

/** The aggregates of a dossier or procedure KPI. */
export function kpiSql(kpi: KpiDefinition): { numerator: string; denominator: string } {
  if (!kpi.sql) throw new Error(`${kpi.id} (${kpi.source}) has no numerator/denominator aggregates`);
  return kpi.sql;
}

export const ALL_SCOPES: readonly ScopeKind[] = SCOPE_KINDS;

export function defineKpi(definition: KpiDefinition): KpiDefinition {
  return definition;
}
