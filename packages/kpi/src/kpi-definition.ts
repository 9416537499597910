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
 * - `procedure`: aggregates over the procedure catalog valid at the period end.
 */
export type KpiSource = 'dossier' | 'procedure';

export interface KpiDefinition {
  id: string;
  name: { vi: string; en: string };
  formula: { vi: string; en: string };
  unit: 'ratio';
  source: KpiSource;
  scopes: readonly ScopeKind[];
  targets: readonly TargetRule[];
  /** Decision 766 index KPIs: the score is `max × min(1, value / fullAt)` unless `sql.score` is given. */
  points?: { max: number; fullAt: number };
  sql: {
    /** Aggregate expressions (countIf …) over the source rows. Constants only; never user input. */
    numerator: string;
    denominator: string;
    /** Expression over the KPI's own numerator/denominator and the group's extra columns; NULL allowed. */
    score?: string;
  };
}

export const ALL_SCOPES: readonly ScopeKind[] = SCOPE_KINDS;

export function defineKpi(definition: KpiDefinition): KpiDefinition {
  return definition;
}
