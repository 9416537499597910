import { TIME_ZONE } from '../periods.ts';
import type { CellLayout } from './cells.sql.ts';
import { CELL_KEY_COLUMNS, LIVE_ROWS } from './cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from './counters.sql.ts';

/**
 * Per Decision 766 period of the run (`periods`: its pairs), the fingerprint of everything the index's
 * statement reads for it, and the one stored when its values were last written (0: none, or a write that
 * did not finish). Counter tables are hashed linearly, Σ over rows of hash(key) × Σ counter × weight
 * (mod 2^64, odd factors): rows a SummingMergeTree merges hash as the rows they merge, so a background
 * merge changes no fingerprint, while any change of a counter changes it. The catalog (rows as tuples: a
 * hash of NULL is NULL, which sum() would skip) and the figures are hashed as they read (FINAL, latest
 * view); a source without rows for a period hashes as 0. `{index766_code}` stands for the statement's text.
 */
export function index766InputsSql(periods: string, layout: CellLayout): string {
  const linear = (keys: string, columns: readonly string[]) =>
    `sum(bitOr(cityHash64(${keys}), 1) * (${columns
      .map((c) => `toUInt64(${c}) * bitOr(cityHash64('${c}'), 1)`)
      .join(' + ')}))`;
  const procedureColumns = PROCEDURE_COUNTERS.map((c) => c.column);
  // Only the cell columns the index's statement reads (index766-sources.sql.ts): a change of a dossier
  // KPI's counter alone, which the index does not read, neither reruns it nor costs its hashing.
  const scopeColumns = [...INDEX766_COUNTERS.map((c) => c.key), '_rows'].map((k) => layout.at(k));
  const liveColumns = [...scopeColumns, ...PROCEDURE_COUNTERS.map((c) => layout.at(c.key))];
  const byPeriod = (body: string) =>
    `(SELECT toString(period_kind) AS period_kind, period_start, ${body} GROUP BY period_kind, period_start)`;
  return `
SELECT r.period_kind AS period_kind, r.period_start AS period_start,
  toString(cityHash64({index766_code:String}, {scope_kinds:Array(String)}, toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}'),
    ifNull(g.catalog, 0), ifNull(c.h, 0), ifNull(p.h, 0), ifNull(l.h, 0), ifNull(x.h, 0))) AS fingerprint,
  toString(ifNull(s.fingerprint, 0)) AS stored
FROM (SELECT DISTINCT toString(period_kind) AS period_kind, period_start FROM ${periods}) AS r
CROSS JOIN
(
  SELECT cityHash64(ifNull((SELECT sum(cityHash64(tuple(*))) FROM procedures_v1 FINAL), 0),
    ifNull((SELECT sum(cityHash64(tuple(*))) FROM agencies_v1 FINAL), 0)) AS catalog
) AS g
LEFT JOIN ${byPeriod(`${linear('period_kind, period_start, scope_kind, scope_code', scopeColumns)} AS h
  FROM kpi_scope_cells_v1 WHERE (period_kind, period_start) IN ${periods} AND scope_kind IN ('city', 'agency')`)} AS c
  ON c.period_kind = r.period_kind AND c.period_start = r.period_start
LEFT JOIN ${byPeriod(`${linear('period_kind, period_start, scope_kind, scope_code, procedure_code', procedureColumns)} AS h
  FROM kpi_scope_procedures_v1 WHERE (period_kind, period_start) IN ${periods} AND scope_kind = 'agency'`)} AS p
  ON p.period_kind = r.period_kind AND p.period_start = r.period_start
LEFT JOIN ${byPeriod(`${linear(CELL_KEY_COLUMNS, liveColumns)} AS h
  FROM kpi_stage_cells_v1 WHERE ${LIVE_ROWS} AND (period_kind, period_start) IN ${periods}`)} AS l
  ON l.period_kind = r.period_kind AND l.period_start = r.period_start
LEFT JOIN ${byPeriod(`sum(cityHash64(scope_kind, scope_code, figure, dossier_code, numerator, denominator)) AS h
  FROM index766_external_latest_v1 WHERE (period_kind, period_start) IN ${periods}`)} AS x
  ON x.period_kind = r.period_kind AND x.period_start = r.period_start
LEFT JOIN ${byPeriod(`argMax(fingerprint, written_at) AS fingerprint
  FROM kpi_index766_inputs_v1 WHERE (period_kind, period_start) IN ${periods}`)} AS s
  ON s.period_kind = r.period_kind AND s.period_start = r.period_start`;
}

export const INDEX766_INPUTS_TABLE = 'kpi_index766_inputs_v1';
