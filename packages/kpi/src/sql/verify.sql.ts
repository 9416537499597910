// verifyKpiState's statements (verify-state.ts): how far the incremental tables are from a recomputation.
import type { PeriodKind } from '../periods.ts';
import {
  type CellLayout,
  cellsSql,
  clipFromSql,
  FACTS_HASH,
  factsSourceSql,
  LIVE_ROWS,
  NOW,
  periodOfSql,
  SCOPES_OF_CELL,
  volatileAtSql,
} from './cells.sql.ts';
import { PROCEDURE_COUNTERS } from './counters.sql.ts';
import { builtCellsSql, counterSums, inShard, openLiveCellsSql } from './generation.sql.ts';

/**
 * How many keys differ between two row sets with the same key and counter columns (`expected`, then
 * `actual`, both SELECT bodies): `actual` is negated and both are summed per key.
 */
function countDifferingSql(
  key: string,
  counters: readonly string[],
  expected: string,
  actual: string,
): string {
  const sums = counterSums(counters);
  return `
SELECT count() AS n
FROM
(
  SELECT ${key}, ${sums.select}
  FROM
  (
    SELECT ${key}, ${counters.join(', ')} FROM (${expected})
    UNION ALL
    SELECT ${key}, ${counters.map((c) => `-${c} AS ${c}`).join(', ')} FROM (${actual})
  )
  GROUP BY ${key}
  HAVING ${sums.nonZero}
)`;
}

const CELL_KEY = 'period_start, admin_level, agency_code, field_code, procedure_code';

/**
 * Cells of `kind` that differ from a recomputation from every dossier's facts as judged at {now} (the
 * last committed instant), from {day_floor} on: 0 when the increments kept them exact. `sharded`: only the
 * cells whose agency and procedure hash to {shard} of {shards}, as a rebuild builds them (builtCellsSql),
 * so that the recomputation takes the memory of one of a rebuild's statements.
 */
export function verifyCellsSql(kind: PeriodKind, layout: CellLayout, sharded = false): string {
  const stored = `SELECT period_start, toString(admin_level) AS admin_level, toString(agency_code) AS agency_code,
      toString(field_code) AS field_code, toString(procedure_code) AS procedure_code, ${layout.columns.join(', ')}
    FROM kpi_cells_v1 WHERE period_kind = '${kind}' AND period_start >= ${clipFromSql(kind)}${
      sharded ? ` AND ${inShard('agency_code, procedure_code')}` : ''
    }`;
  return countDifferingSql(CELL_KEY, layout.columns, builtCellsSql(kind, layout, sharded), stored);
}

/** Dossiers whose open facts differ from the facts open at {now}, in either direction. */
export const VERIFY_OPEN_FACTS_SQL = `
SELECT count() AS n
FROM
(
  SELECT dossier_code, ${FACTS_HASH} AS h, sum(side) AS s
  FROM
  (
    SELECT *, 1 AS side FROM kpi_dossier_facts_v1 FINAL WHERE ${volatileAtSql(NOW)}
    UNION ALL
    SELECT * EXCEPT sign, -1 AS side FROM kpi_open_facts_v1 FINAL
  )
  GROUP BY dossier_code, h
  HAVING s != 0
)`;

/**
 * Running-period cells of `kind` where the one-pass live cells (liveCellsSql) differ from the open
 * dossiers' participation rows of that kind judged at {now}: 0 unless the shortcut is wrong.
 */
export function verifyLiveCellsSql(kind: PeriodKind, layout: CellLayout): string {
  const open = factsSourceSql('kpi_open_facts_v1 FINAL', 1, periodOfSql(kind, NOW));
  return countDifferingSql(
    CELL_KEY,
    layout.columns,
    cellsSql(kind, layout, open, 'live'),
    openLiveCellsSql([kind], layout),
  );
}

/**
 * Running-period cells of `kind` where the live cells a generation recorded (LIVE_ROWS, kpi_stage_cells_v1)
 * differ from the open dossiers' rows judged at {now}: 0 unless a crossing-only cycle (stageCrossedCellsSql)
 * or a quiet one carried them wrong.
 */
export function verifyStoredLiveCellsSql(kind: PeriodKind, layout: CellLayout): string {
  const stored = `SELECT period_start, toString(admin_level) AS admin_level, toString(agency_code) AS agency_code,
      toString(field_code) AS field_code, toString(procedure_code) AS procedure_code, ${layout.columns.join(', ')}
    FROM kpi_stage_cells_v1 WHERE ${LIVE_ROWS} AND period_kind = '${kind}'`;
  return countDifferingSql(CELL_KEY, layout.columns, openLiveCellsSql([kind], layout), stored);
}

/** The rows of one range of periods: {range_kind} from {range_from} on, before {range_to}. */
export const PERIOD_RANGE_SQL =
  'period_kind = {range_kind:String} AND period_start >= {range_from:Date} AND period_start < {range_to:Date}';

/**
 * Scope rows (kpi_scope_cells_v1, kpi_scope_procedures_v1) that differ from their cells summed per scope;
 * `ranged`: those of the periods of PERIOD_RANGE_SQL only (a scope row and its cells share their period),
 * so that the check runs in parts under a small cap.
 */
export function verifyScopesSql(layout: CellLayout, ranged = false): string {
  const where = ranged ? ` WHERE ${PERIOD_RANGE_SQL}` : '';
  const cells = `kpi_cells_v1 ARRAY JOIN ${SCOPES_OF_CELL} AS sc${where}`;
  const scopeKey = 'period_kind, period_start, scope_kind, scope_code';
  const procedureColumns = PROCEDURE_COUNTERS.map((c) => c.column);
  const fromCells = PROCEDURE_COUNTERS.map((c) => `${layout.at(c.key)} AS ${c.column}`).join(', ');
  const scopeCells = countDifferingSql(
    scopeKey,
    layout.columns,
    `SELECT toString(period_kind) AS period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
      ${layout.columns.join(', ')} FROM ${cells}`,
    `SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
      ${layout.columns.join(', ')} FROM kpi_scope_cells_v1${where}`,
  );
  const scopeProcedures = countDifferingSql(
    `${scopeKey}, procedure_code`,
    procedureColumns,
    `SELECT toString(period_kind) AS period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
      toString(procedure_code) AS procedure_code, ${fromCells} FROM ${cells}`,
    `SELECT toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
      toString(procedure_code) AS procedure_code, ${procedureColumns.join(', ')} FROM kpi_scope_procedures_v1${where}`,
  );
  return `SELECT (${scopeCells}) AS scope_cells, (${scopeProcedures}) AS scope_procedures`;
}
