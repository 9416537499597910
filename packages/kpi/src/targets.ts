import { getKpi } from './catalog.ts';
import type { Comparator, TargetRule } from './kpi-definition.ts';
import { PHASES, phaseOf, type ScopeKind } from './periods.ts';

export interface Target {
  value: number;
  comparator: Comparator;
  phase: 1 | 2 | null;
}

export function ruleRange(rule: TargetRule): { from: string; to: string } {
  if (rule.year !== undefined) return { from: `${rule.year}-01-01`, to: `${rule.year}-12-31` };
  if (rule.phase !== undefined) return PHASES[rule.phase];
  return { from: '1970-01-01', to: '2149-06-06' };
}

function ruleMatches(
  rule: TargetRule,
  periodStart: string,
  scopeKind: ScopeKind,
  scopeCode: string,
): boolean {
  const { from, to } = ruleRange(rule);
  if (periodStart < from || periodStart > to) return false;
  if (!rule.scope) return true;
  return rule.scope.kind === scopeKind && rule.scope.codePrefixes.some((p) => scopeCode.startsWith(p));
}

/**
 * The target of a KPI for one row: the first rule (rules are listed most specific first) whose phase or
 * year contains the period start and whose scope filter matches. Null when the plan sets none.
 */
export function targetFor(
  kpiId: string,
  periodStart: string,
  scope: { kind: ScopeKind; code: string },
): Target | null {
  const rule = getKpi(kpiId)?.targets.find((r) => ruleMatches(r, periodStart, scope.kind, scope.code));
  if (!rule) return null;
  return { value: rule.value, comparator: rule.comparator, phase: phaseOf(periodStart) };
}

/** 1/0 when both are known, null when the value (zero denominator) or the target is missing. */
export function targetMet(value: number | null, target: Target | null): 0 | 1 | null {
  if (value === null || target === null || Number.isNaN(value)) return null;
  const met = target.comparator === 'gt' ? value > target.value : value >= target.value;
  return met ? 1 : 0;
}

/** numerator / denominator, or null for a zero denominator (never 0 or NaN). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** Target rules flattened to parallel arrays for the SQL lookup (same first-match order as targetFor). */
export function targetRuleParams(kpiIds: readonly string[]) {
  const rows = kpiIds.flatMap((id) =>
    (getKpi(id)?.targets ?? []).flatMap((rule) => {
      const { from, to } = ruleRange(rule);
      const prefixes = rule.scope ? rule.scope.codePrefixes : [''];
      return prefixes.map((prefix) => ({ id, from, to, rule, prefix }));
    }),
  );
  return {
    t_kpi: rows.map((r) => r.id),
    t_from: rows.map((r) => r.from),
    t_to: rows.map((r) => r.to),
    t_scope_kind: rows.map((r) => r.rule.scope?.kind ?? ''),
    t_code_prefix: rows.map((r) => r.prefix),
    t_value: rows.map((r) => r.rule.value),
    t_strict: rows.map((r) => (r.rule.comparator === 'gt' ? 1 : 0)),
  };
}
