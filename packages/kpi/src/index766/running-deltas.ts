import { type CellLayout, liveCellsOfRunSql } from '../sql/cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from '../sql/counters.sql.ts';
import { INDEX766_SETS, INDEX766_SUMS } from '../sql/index766-sources.sql.ts';
import { chainRowsSql, INPUT_COLUMNS } from './stored-inputs.ts';
import { rollupScopesSql } from './units.ts';
import { INDEX766_COMMONS, type SetName } from './value-rows.ts';

// The run's cell deltas added to the previous generation's Decision 766 inputs per scope, inside the engine
// (index766-running.ts): the procedure sets (up to every procedure of the catalog per set, and every unit's
// services for the city) never travel through the client.

/** The set a procedure counter's positive per-unit sum puts the procedure (or `unit|procedure`) in. */
const SET_OF_COUNTER: Record<string, SetName> = {
  fee_data: 'fee_data_procs',
  paid_online: 'paid_procs',
  population_db: 'population_db_procs',
  online_received: 'used_services',
};

const KEY = 'period_kind, period_start, scope_kind, scope_code';
const STAGED = `FROM kpi_stage_cells_v1
    WHERE run_id = {run_id:String} AND role IN ('delta', 'crossed') AND (period_kind, period_start) IN`;

/** An Array(Array(String)) of INDEX766_SETS' length holding `given` sets (by name), the others empty. */
function setsOf(given: Partial<Record<SetName, string>>): string {
  return `[${INDEX766_SETS.map((name) => given[name] ?? 'CAST([] AS Array(String))').join(', ')}]`;
}

/**
 * The run's deltas and crossed cells of the running periods `pairs` summed per scope they roll up to (the
 * city and the agency's chain, as index766ScopeInputsSql sums them), as source rows of nextInputsSql.
 */
function deltaSumsSource(layout: CellLayout, pairs: string): string {
  const sums = INDEX766_SUMS.map((name) => {
    if (name === 'dossier_rows') return `toInt64(sum(${layout.at('_rows')}))`;
    const counter = INDEX766_COUNTERS.find((c) => c.key === `index766:${name}`);
    return counter ? `toInt64(sum(${layout.at(counter.key)}))` : 'toInt64(0)';
  });
  return `
    SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code, sums, ${setsOf({})} AS sets,
      CAST([] AS Array(Tuple(String, UInt64, UInt64))) AS figures, toUInt64(0) AS catalog_size,
      0 AS found, 1 AS moved, 0 AS left
    FROM
    (
      SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
        [${sums.join(', ')}] AS sums
      ${STAGED} ${pairs}
      GROUP BY period_kind, period_start, agency
    )
    ARRAY JOIN ${rollupScopesSql('agency')} AS sc`;
}

/**
 * The procedures whose per-unit count turned positive with the run's deltas, added to the sets of the
 * scopes their unit rolls up to; `left` where one turned non-positive (it may leave a set, which only the
 * inputs read anew give). A unit's count now is its kpi_scope_procedures_v1 row plus the run's live cells
 * (procedureSetsSource); before, that minus the change. A delta of no agency moves no set:
 * kpi_scope_procedures_v1 holds agencies only, such a cell reaches the sets through the live cells alone.
 */
function setAdditionsSource(layout: CellLayout, pairs: string): string {
  const columns = PROCEDURE_COUNTERS.map((c) => c.column);
  const changes = `
        SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
          toString(procedure_code) AS procedure,
          [${PROCEDURE_COUNTERS.map((c) => `toInt64(sum(${layout.at(c.key)}))`).join(', ')}] AS change
        ${STAGED} ${pairs} AND NOT (role = 'delta' AND agency_code = '')
        GROUP BY period_kind, period_start, agency, procedure
        HAVING arrayExists(x -> x != 0, change)`;
  const keys = `(SELECT period_kind, period_start, agency, procedure FROM (${changes}))`;
  const totals = `
        SELECT period_kind, period_start, agency, procedure,
          [${columns.map((c) => `toInt64(sum(${c}))`).join(', ')}] AS after
        FROM
        (
          SELECT toString(period_kind) AS period_kind, period_start, scope_code AS agency,
            toString(procedure_code) AS procedure, ${columns.join(', ')}
          FROM kpi_scope_procedures_v1
          WHERE scope_kind = 'agency' AND (period_kind, period_start) IN ${pairs}
            AND (toString(period_kind), period_start, scope_code, toString(procedure_code)) IN ${keys}
          UNION ALL
          SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
            toString(procedure_code) AS procedure,
            ${PROCEDURE_COUNTERS.map((c) => `${layout.at(c.key)} AS ${c.column}`).join(', ')}
          FROM ${liveCellsOfRunSql(pairs)}
          WHERE (toString(period_kind), period_start, toString(agency_code), toString(procedure_code)) IN ${keys}
        )
        GROUP BY period_kind, period_start, agency, procedure`;
  // Per counter (PROCEDURE_COUNTERS' order): joined = in now and not before, left = before and not now.
  const turned = (i: number, now: boolean) =>
    `(after[${i}] > 0) = ${now ? 1 : 0} AND (after[${i}] - change[${i}] > 0) = ${now ? 0 : 1}`;
  const added = Object.fromEntries(
    PROCEDURE_COUNTERS.map((c, i) => {
      const element = c.column === 'online_received' ? "concat(agency, '|', procedure)" : 'procedure';
      return [SET_OF_COUNTER[c.column], `if(${turned(i + 1, true)}, [${element}], [])`];
    }),
  ) as Partial<Record<SetName, string>>;
  return `
    SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
      arrayResize(CAST([] AS Array(Int64)), ${INDEX766_SUMS.length}) AS sums, ${setsOf(added)} AS sets,
      CAST([] AS Array(Tuple(String, UInt64, UInt64))) AS figures, toUInt64(0) AS catalog_size,
      0 AS found, 1 AS moved, toUInt8(${PROCEDURE_COUNTERS.map((_, i) => `(${turned(i + 1, false)})`).join(' OR ')}) AS left
    FROM
    (
      SELECT period_kind, period_start, agency, procedure, change,
        if(empty(t.after), arrayResize(CAST([] AS Array(Int64)), ${columns.length}), t.after) AS after
      FROM (${changes}) AS c
      LEFT JOIN (${totals}) AS t USING (period_kind, period_start, agency, procedure)
    )
    ARRAY JOIN ${rollupScopesSql('agency')} AS sc`;
}

/**
 * Stores under {live_id} the inputs of the scopes `keys` names (index766KeysSql: the city and the chains
 * of the agencies with deltas; every scope on a new day) as the chain {input_tags} holds them plus the
 * run's deltas and the procedures that joined a set, all or none: none when a scope the deltas reach (or
 * a period's city) has no row in the chain, is left with no input at all (the statement's row for it then
 * depends on merges of zero rows), or a procedure may have left a set. `cities`: the number of running
 * periods, each of whose city must be there. Then the caller reads the inputs anew instead. `markers`:
 * each period's marker (its city row's period) in the same insert, so one part holds the rows and the
 * markers: code {inputs_code}, parent the nearest tag of {input_tags}, ancestors every tag of it.
 */
export function nextInputsSql(
  layout: CellLayout,
  pairs: string,
  keys: string,
  cities: number,
  markers: boolean,
): string {
  const previous = chainRowsSql(
    `toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
      sums, sets, figures, catalog_size, 1 AS found, scope_kind = 'city' AS moved, 0 AS left`,
    keys,
  );
  const union = INDEX766_SETS.map((_, i) => `groupUniqArrayArray(sets[${i + 1}])`).join(', ');
  const empty = `arrayAll(x -> x = 0, sums) AND arrayAll(s -> empty(s), sets) AND empty(figures)`;
  return `
INSERT INTO kpi_index766_scope_inputs_v1 (tag, ${INPUT_COLUMNS.join(', ')}, code, parent, ancestors)
SELECT {live_id:String}, period_kind, period_start, if(m, '', scope_kind), if(m, '', scope_code),
  if(m, CAST([] AS Array(Int64)), sums), if(m, CAST([] AS Array(Array(String))), sets),
  if(m, CAST([] AS Array(Tuple(String, UInt64, UInt64))), figures), if(m, toUInt64(0), catalog_size),
  if(m, {inputs_code:String}, ''), if(m, {input_tags:Array(String)}[1], ''),
  if(m, {input_tags:Array(String)}, CAST([] AS Array(String)))
FROM
(
  SELECT *, min(ok) OVER () AS all_ok, countIf(scope_kind = 'city') OVER () AS city_rows
  FROM
  (
    SELECT ${KEY}, sums, sets, figures, catalog_size,
      toUInt8(found AND NOT left AND NOT (moved AND ${empty})) AS ok
    FROM
    (
      SELECT ${KEY}, sumForEach(sums) AS sums, [${union}] AS sets, groupArrayArray(figures) AS figures,
        max(catalog_size) AS catalog_size, max(found) AS found, max(moved) AS moved, max(left) AS left
      FROM
      (
        SELECT * FROM (${previous})
        UNION ALL${deltaSumsSource(layout, pairs)}
        UNION ALL${setAdditionsSource(layout, pairs)}
      )
      GROUP BY ${KEY}
    )
  )
)
ARRAY JOIN ${markers ? "if(scope_kind = 'city', [0, 1], [0])" : '[0]'} AS m
WHERE all_ok = 1 AND city_rows = ${cities}`;
}

/**
 * The stored inputs of {live_id} as the scorer reads them: sums, each set's size and the common elements
 * of INDEX766_COMMONS' pairs, not the sets themselves; `where` further restricts the scopes.
 */
export function scoringInputsSql(where = '1'): string {
  const at = (name: SetName) => INDEX766_SETS.indexOf(name) + 1;
  const commons = INDEX766_COMMONS.map(
    ([a, b]) => `toUInt64(length(arrayIntersect(sets[${at(a)}], sets[${at(b)}])))`,
  );
  return `
SELECT toString(period_kind) AS period_kind, toString(period_start) AS period_start,
  toString(scope_kind) AS scope_kind, scope_code, sums, arrayMap(s -> toUInt64(length(s)), sets) AS sizes,
  [${commons.join(', ')}] AS commons, figures, catalog_size
FROM kpi_index766_scope_inputs_v1
WHERE tag = {live_id:String} AND scope_kind != '' AND ${where}`;
}
