import type { CellLayout } from '../sql/cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from '../sql/counters.sql.ts';
import { INDEX766_SETS, INDEX766_SUMS } from '../sql/index766-sources.sql.ts';
import type { StatementParams, Statements } from '../statements.ts';
import type { UnitTree } from './unit-tree.ts';
import type { ScopeInputs, SetName } from './value-rows.ts';

// The run's cell deltas added to the previous generation's Decision 766 inputs per scope (index766-running.ts):
// which scopes they move, and their counters and procedure sets afterwards.

/** The set a procedure counter's positive per-unit sum puts the procedure (or `unit|procedure`) in. */
const SET_OF_COUNTER: Record<string, SetName> = {
  fee_data: 'fee_data_procs',
  paid_online: 'paid_procs',
  population_db: 'population_db_procs',
  online_received: 'used_services',
};

export interface DeltaRow {
  period_kind: string;
  period_start: string;
  agency: string;
  procedure: string;
  role: 'delta' | 'crossed';
  sums: (string | number)[];
  procs: (string | number)[];
}

/** Counters per (period, agency, procedure, role) of the run's deltas and crossed cells in the running periods. */
export function deltaRowsSql(layout: CellLayout, pairs: string): string {
  const sums = INDEX766_SUMS.map((name) => {
    if (name === 'dossier_rows') return `sum(${layout.at('_rows')})`;
    const counter = INDEX766_COUNTERS.find((c) => c.key === `index766:${name}`);
    return counter ? `sum(${layout.at(counter.key)})` : '0';
  });
  const procs = PROCEDURE_COUNTERS.map((c) => `sum(${layout.at(c.key)})`);
  return `
SELECT toString(period_kind) AS period_kind, toString(period_start) AS period_start,
  toString(agency_code) AS agency, toString(procedure_code) AS procedure, toString(role) AS role,
  [${sums.map((s) => `toInt64(${s})`).join(', ')}] AS sums, [${procs.map((s) => `toInt64(${s})`).join(', ')}] AS procs
FROM kpi_stage_cells_v1
WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed') AND (period_kind, period_start) IN ${pairs}
GROUP BY period_kind, period_start, agency, procedure, role`;
}

export const scopeKey = (kind: string, start: string, scopeKind: string, code: string) =>
  `${kind}|${start}|${scopeKind}|${code}`;

/** The (period, scope) keys index766KeysSql recomputes: every period's city, each delta agency's chain. */
export function movedScopes(
  periods: readonly { period_kind: string; period_start: string }[],
  deltas: readonly DeltaRow[],
  tree: UnitTree,
): Set<string> {
  const moved = new Set(periods.map((p) => scopeKey(p.period_kind, p.period_start, 'city', '')));
  for (const d of deltas) {
    if (d.agency === '') continue;
    for (const unit of tree.chainOf(d.agency))
      moved.add(scopeKey(d.period_kind, d.period_start, 'agency', unit));
  }
  return moved;
}

/** The scopes an agency's counts and procedure sets roll up to (rollupScopesSql): the city, its chain. */
function rollupOf(tree: UnitTree, agency: string): [string, string][] {
  return [
    ['city', ''],
    ...(agency === '' ? [] : tree.chainOf(agency).map((u): [string, string] => ['agency', u])),
  ];
}

/**
 * The previous generation's inputs plus the run's deltas, or undefined where only the statement's input
 * part is exact: a procedure left a set, or a moved scope has no previous row or is left with no input.
 */
export async function addDeltas(
  sql: Statements,
  params: StatementParams,
  scopes: Map<string, ScopeInputs>,
  deltas: readonly DeltaRow[],
  tree: UnitTree,
  moved: ReadonlySet<string>,
  pairs: string,
  layout: CellLayout,
): Promise<Map<string, ScopeInputs> | undefined> {
  if ([...moved].some((key) => !scopes.has(key))) return undefined;
  const scopeOf = (d: { period_kind: string; period_start: string }, [kind, code]: [string, string]) =>
    scopes.get(scopeKey(d.period_kind, d.period_start, kind, code));
  // Procedure sets: kpi_scope_procedures_v1 holds agencies only (a cell without one reaches the sets
  // through the live cells alone), so a delta of no agency moves no set.
  const procedureDeltas = new Map<string, { d: DeltaRow; change: number[] }>();
  for (const d of deltas) {
    const sums = d.sums.map(Number);
    if (sums.some((x) => x !== 0)) {
      for (const target of rollupOf(tree, d.agency)) {
        const scope = scopeOf(d, target);
        if (!scope) return undefined;
        scope.sums = scope.sums.map((x, i) => x + (sums[i] ?? 0));
      }
    }
    if (d.role === 'delta' && d.agency === '') continue;
    const change = d.procs.map(Number);
    if (change.every((x) => x === 0)) continue;
    const key = `${d.period_kind}|${d.period_start}|${d.agency}|${d.procedure}`;
    const seen = procedureDeltas.get(key);
    if (seen) seen.change = seen.change.map((x, i) => x + (change[i] ?? 0));
    else procedureDeltas.set(key, { d, change });
  }
  if ([...procedureDeltas.values()].some((p) => p.change.some((x) => x !== 0))) {
    const totals = await sql.rows<{ key: string; procs: (string | number)[] }>(
      procedureTotalsSql(layout, pairs),
      params,
      'index766 running: procedure totals',
    );
    const now = new Map(totals.map((t) => [t.key, t.procs.map(Number)]));
    for (const [key, { d, change }] of procedureDeltas) {
      const after = now.get(key) ?? PROCEDURE_COUNTERS.map(() => 0);
      for (const [i, counter] of PROCEDURE_COUNTERS.entries()) {
        const set = SET_OF_COUNTER[counter.column];
        if (!set) continue;
        const isIn = (after[i] ?? 0) > 0;
        const wasIn = (after[i] ?? 0) - (change[i] ?? 0) > 0;
        if (isIn === wasIn) continue;
        if (wasIn) return undefined;
        const element = counter.column === 'online_received' ? `${d.agency}|${d.procedure}` : d.procedure;
        const at = INDEX766_SETS.indexOf(set);
        for (const target of rollupOf(tree, d.agency)) {
          const scope = scopeOf(d, target);
          if (!scope) return undefined;
          const members = scope.sets[at] ?? [];
          if (!members.includes(element)) scope.sets[at] = [...members, element];
        }
      }
    }
  }
  for (const key of moved) {
    const s = scopes.get(key);
    if (!s) return undefined;
    if (s.sums.every((x) => x === 0) && s.sets.every((x) => x.length === 0) && s.figures.length === 0) {
      return undefined;
    }
  }
  return scopes;
}

/**
 * Per (period, agency, procedure) with a delta, its procedure counters now, as procedureSetsSource sums
 * them: the agency's kpi_scope_procedures_v1 row plus the run's live cells.
 */
function procedureTotalsSql(layout: CellLayout, pairs: string): string {
  const keys = `(SELECT toString(period_kind), period_start, toString(agency_code), toString(procedure_code)
      FROM kpi_stage_cells_v1
      WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed') AND (period_kind, period_start) IN ${pairs})`;
  const columns = PROCEDURE_COUNTERS.map((c) => c.column);
  return `
SELECT concat(period_kind, '|', toString(period_start), '|', agency, '|', procedure) AS key,
  [${columns.map((c) => `toInt64(sum(${c}))`).join(', ')}] AS procs
FROM
(
  SELECT toString(period_kind) AS period_kind, period_start, scope_code AS agency,
    toString(procedure_code) AS procedure, ${columns.join(', ')}
  FROM kpi_scope_procedures_v1
  WHERE scope_kind = 'agency' AND (period_kind, period_start) IN ${pairs}
    AND (toString(period_kind), period_start, scope_code, toString(procedure_code)) IN ${keys}
  UNION ALL
  SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
    toString(procedure_code) AS procedure, ${PROCEDURE_COUNTERS.map((c) => `${layout.at(c.key)} AS ${c.column}`).join(', ')}
  FROM kpi_stage_cells_v1
  WHERE run_id = {live_id:String} AND role = 'live' AND (period_kind, period_start) IN ${pairs}
    AND (toString(period_kind), period_start, toString(agency_code), toString(procedure_code)) IN ${keys}
)
GROUP BY period_kind, period_start, agency, procedure`;
}
