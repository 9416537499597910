import { CELL_KEY_COLUMNS, type CellLayout, SCOPES_OF_CELL } from './cells.sql.ts';
import { counterSums } from './generation.sql.ts';

// The live cells of a chain's base summed per scope (kpi_stage_cells_v1 role 'scopes'): what the dossier
// values read instead of spreading every live cell (cells.sql.ts dossierValuesSql, UNSUMMED_LIVE_ROWS).

/**
 * A run's live cells summed per scope, as role 'scopes' of {live_id}: written after its 'live' rows (the
 * base of every chain of live cells that starts there), so that dossierValuesSql reads a few thousand
 * sums instead of spreading every live cell to its scopes. The scope is kept in the cell key's first
 * columns: admin_level holds the scope kind, agency_code the scope code (SCOPES_OF_CELL's pairs), the
 * field and procedure are ''. Each scope kind's sums are a grouping set of the cells (the city's, then one
 * per code column; a blank code is no scope, as in SCOPES_OF_CELL), not every cell copied to its five
 * scopes and grouped (ARRAY JOIN: the copies cost more than the sums, as in generation.sql.ts
 * scopeCellsSql). Sums of Int64 counters, so equal to spreading the cells, in any order; a run that dies
 * before writing them all never commits its generation, and a run finishing it writes its live cells and
 * their sums under its own id.
 */
export function stageLiveScopesSql(layout: CellLayout): string {
  const codes = ['admin_level', 'agency_code', 'field_code', 'procedure_code'];
  const kinds = ['admin_level', 'agency', 'field', 'procedure'];
  const scopeKind = `multiIf(${codes.map((c, i) => `grouping(${c}) = 0, '${kinds[i]}'`).join(', ')}, 'city')`;
  const scopeCode = `multiIf(${codes.map((c) => `grouping(${c}) = 0, toString(${c})`).join(', ')}, '')`;
  const sets = ['', ...codes.map((c) => `, ${c}`)].map((c) => `(period_kind, period_start${c})`).join(', ');
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
SELECT {live_id:String}, 'scopes', period_kind, period_start, scope_kind, scope_code, '', '', ${layout.columns.map((c) => `sum_${c}`).join(', ')}
FROM
(
  SELECT period_kind, period_start, ${scopeKind} AS scope_kind, ${scopeCode} AS scope_code,
    ${layout.columns.map((c) => `sum(${c}) AS sum_${c}`).join(', ')}
  FROM kpi_stage_cells_v1
  WHERE run_id = {live_id:String} AND role = 'live'
  GROUP BY GROUPING SETS (${sets})
)
WHERE scope_kind = 'city' OR scope_code != ''
SETTINGS force_grouping_standard_compatibility = 1`;
}

/**
 * Scope rows of {live_base}'s sums per scope (stageLiveScopesSql) that differ from its live cells spread to
 * their scopes: 0 unless they were written wrong, or when none are stored.
 */
export function verifyLiveScopesSql(layout: CellLayout): string {
  const key = 'period_kind, period_start, scope_kind, scope_code';
  const sums = counterSums(layout.columns);
  return `
SELECT count() AS n
FROM
(
  SELECT ${key}, ${sums.select}
  FROM
  (
    SELECT toString(period_kind) AS period_kind, period_start, toString(admin_level) AS scope_kind,
      toString(agency_code) AS scope_code, ${layout.columns.join(', ')}
    FROM kpi_stage_cells_v1 WHERE run_id = {live_base:String} AND role = 'scopes'
    UNION ALL
    SELECT toString(period_kind) AS period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
      ${layout.columns.map((c) => `-${c} AS ${c}`).join(', ')}
    FROM kpi_stage_cells_v1 ARRAY JOIN ${SCOPES_OF_CELL} AS sc
    WHERE run_id = {live_base:String} AND role = 'live'
      AND (SELECT count() FROM kpi_stage_cells_v1 WHERE run_id = {live_base:String} AND role = 'scopes') > 0
  )
  GROUP BY ${key}
  HAVING ${sums.nonZero}
)`;
}
