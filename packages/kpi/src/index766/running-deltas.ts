import { type CellLayout, liveCellsOfRunSql } from '../sql/cells.sql.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from '../sql/counters.sql.ts';
import { INDEX766_SETS, INDEX766_SUMS } from '../sql/index766-sources.sql.ts';
import { chainRowsSql, INPUT_COLUMNS } from './stored-inputs.ts';
import { chainOfSql, rollupScopesSql } from './units.ts';
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

/**
 * Up to this many (kept, added) element pairs a set's additions are looked for in it one by one (has);
 * beyond, the set and its additions are hashed together (arrayDistinct). Most cycles add a few procedures
 * to every moved scope, the city's sets holding tens of thousands of elements.
 */
const SEARCHED_PAIRS = 65_536;

/**
 * The running periods of a cycle the running path computes, as a constant (the parameters
 * {running_kinds} and {running_starts}, from index766-running.ts's periods): the same pairs as the run's
 * periods read from kpi_run_periods_v1 there, without a subquery in every place they filter (planning
 * that statement was most of its cost).
 */
export const RUNNING_PERIODS_SQL = 'arrayZip({running_kinds:Array(String)}, {running_starts:Array(Date)})';

const STAGED_ROWS = `run_id = {run_id:String} AND role IN ('delta', 'crossed')
    AND (period_kind, period_start) IN ${RUNNING_PERIODS_SQL}`;
const STAGED = `FROM kpi_stage_cells_v1 WHERE ${STAGED_ROWS}`;

/**
 * The scopes a running cycle recomputes: index766KeysSql's where every period is running and only
 * touched (the path's condition), i.e. the running periods' city and the chains of the agencies the run's
 * deltas and crossed cells reach.
 */
export const RUNNING_KEYS_SQL = `((period_kind, period_start) IN ${RUNNING_PERIODS_SQL} AND (scope_kind = 'city'
    OR (period_kind, period_start, scope_kind, scope_code) IN
      (SELECT DISTINCT toString(period_kind), period_start, 'agency', unit
       FROM kpi_stage_cells_v1 ARRAY JOIN ${chainOfSql('toString(agency_code)')} AS unit
       WHERE ${STAGED_ROWS} AND agency_code != '')))`;

/**
 * The scopes of the running periods whose inputs a cycle's staged rows may move, named by parameters: the
 * city of every running period (each period's marker is written with its city row, so a city is always
 * stored), and the units {moved_kinds}, {moved_starts}, {moved_units} lists (the chains of
 * movedAgenciesSql's agencies). Constants, with no agency chains to compute: cheaper to plan than
 * RUNNING_KEYS_SQL's subquery over the staged rows, and narrower (an agency whose rows cancel out moves
 * no scope).
 */
export const MOVED_KEYS_SQL = `((period_kind, period_start) IN ${RUNNING_PERIODS_SQL} AND (scope_kind = 'city'
    OR (scope_kind = 'agency' AND (period_kind, period_start, scope_code) IN
      arrayZip({moved_kinds:Array(String)}, {moved_starts:Array(Date)}, {moved_units:Array(String)}))))`;

/**
 * (scope_kind, scope_code) pairs the counts of agency `code` roll up to, from the chains movedAgenciesSql
 * read ({rollup_agencies} → {rollup_units}, pairwise): rollupScopesSql without the agency chains.
 */
const MOVED_ROLLUP_SQL = `arrayConcat([('city', '')], arrayMap(u -> ('agency', u),
    arrayFilter((u, a) -> a = agency, {rollup_units:Array(String)}, {rollup_agencies:Array(String)})))`;

/**
 * Per running period, the agencies (toString(agency_code), '' included) of the run's staged deltas and
 * crossed cells whose Decision 766 inputs may move, each with its chain (units.ts chainOfSql; none for
 * ''): a (period, agency, procedure) whose rows sum to a non-zero Decision 766 counter, `_rows` or
 * procedure counter. `procedure_moved`: one of them is a procedure counter (only then may a procedure
 * join or leave a set). An agency not listed adds nothing to any scope's sums (its rows sum to 0 per
 * counter) and moves no set (no unit's per-procedure count changed): every scope none of the listed
 * agencies' chains reach keeps its inputs, and so its values.
 */
export function movedAgenciesSql(layout: CellLayout): string {
  const nonZero = (keys: readonly string[]) =>
    `toUInt8(${keys.map((k) => `sum(${layout.at(k)}) != 0`).join(' OR ')})`;
  // The inner query keeps the table's column names: an alias of the same name (toString(period_start) AS
  // period_start) would replace the column in its WHERE, comparing text with the running periods' dates.
  return `
SELECT toString(kind) AS period_kind, toString(start) AS period_start, toString(unit) AS agency,
  max(procedure_moved) AS procedure_moved,
  if(agency = '', CAST([] AS Array(String)), ${chainOfSql('agency')}) AS chain
FROM
(
  SELECT period_kind AS kind, period_start AS start, agency_code AS unit,
    ${nonZero(PROCEDURE_COUNTERS.map((c) => c.key))} AS procedure_moved,
    ${nonZero(['_rows', ...INDEX766_COUNTERS.map((c) => c.key)])} AS counts_moved
  ${STAGED}
  GROUP BY period_kind, period_start, agency_code, procedure_code
  HAVING procedure_moved OR counts_moved
)
GROUP BY kind, start, unit`;
}

/** An Array(Array(String)) of INDEX766_SETS' length holding `given` sets (by name), the others empty. */
function setsOf(given: Partial<Record<SetName, string>>): string {
  return `[${INDEX766_SETS.map((name) => given[name] ?? 'CAST([] AS Array(String))').join(', ')}]`;
}

/** The run's deltas and crossed cells summed per running period and agency (agency_rows of nextInputsSql). */
function deltaSumsSource(layout: CellLayout, moving: boolean): string {
  const sums = INDEX766_SUMS.map((name) => {
    if (name === 'dossier_rows') return `toInt64(sum(${layout.at('_rows')}))`;
    const counter = INDEX766_COUNTERS.find((c) => c.key === `index766:${name}`);
    return counter ? `toInt64(sum(${layout.at(counter.key)}))` : 'toInt64(0)';
  });
  return `
      SELECT toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
        [${sums.join(', ')}] AS sums, ${setsOf({})} AS sets, toUInt8(0) AS left
      ${STAGED}
      GROUP BY period_kind, period_start, agency${moving ? ' HAVING arrayExists(x -> x != 0, sums)' : ''}`;
}

/**
 * The run's staged (period, agency, procedure) keys some procedure counter of whose change (summed as
 * setAdditionsSource sums it: role 'delta' of no agency left out) is negative.
 */
function fallingKeysSql(layout: CellLayout): string {
  const fell = PROCEDURE_COUNTERS.map((c) => `sum(${layout.at(c.key)}) < 0`).join(' OR ');
  return `(SELECT period_kind, period_start, agency_code, procedure_code
          ${STAGED} AND NOT (role = 'delta' AND agency_code = '')
          GROUP BY period_kind, period_start, agency_code, procedure_code HAVING ${fell})`;
}

/**
 * The procedures the run's deltas count more of at a unit, added to that unit's sets (agency_rows of
 * nextInputsSql); `left` where one's per-unit count turned non-positive (it may leave a set, which only the
 * inputs read anew give). A unit's count now is its kpi_scope_procedures_v1 row plus the run's live cells
 * (index766-sources.sql.ts dossierSource); before, that minus the change. Counts are never below zero, so
 * a count that grew is positive now: the procedure is in the unit's sets whether it joined them or was
 * there already (nextInputsSql adds to a set only what it lacks), and its count need not be read. Only a
 * key whose count fell may leave a set: its counts now are read, for those keys alone (most cycles have
 * none, and the live cells and kpi_scope_procedures_v1 of the running periods are ~10^5 rows at 1M). A
 * delta of no agency moves no set: kpi_scope_procedures_v1 holds agencies only, such a cell reaches the
 * sets through the live cells alone. The three are summed per (period, unit, procedure), those whose
 * change is not 0.
 */
function setAdditionsSource(layout: CellLayout): string {
  const n = PROCEDURE_COUNTERS.length;
  const none = `arrayResize(CAST([] AS Array(Int64)), ${n})`;
  const counts = (at: (c: (typeof PROCEDURE_COUNTERS)[number]) => string) =>
    `[${PROCEDURE_COUNTERS.map((c) => `toInt64(${at(c)})`).join(', ')}]`;
  const cell = `toString(period_kind) AS period_kind, period_start, toString(agency_code) AS agency,
            toString(procedure_code) AS procedure`;
  // Per counter (PROCEDURE_COUNTERS' order): left = before and not now.
  const left = (i: number) => `(after[${i}] > 0) = 0 AND (after[${i}] - change[${i}] > 0) = 1`;
  const added = Object.fromEntries(
    PROCEDURE_COUNTERS.map((c, i) => {
      const element = c.column === 'online_received' ? "concat(agency, '|', procedure)" : 'procedure';
      return [SET_OF_COUNTER[c.column], `if(change[${i + 1}] > 0, [${element}], [])`];
    }),
  ) as Partial<Record<SetName, string>>;
  const falling = fallingKeysSql(layout);
  return `
      SELECT period_kind, period_start, agency, arrayResize(CAST([] AS Array(Int64)), ${INDEX766_SUMS.length}) AS sums,
        ${setsOf(added)} AS sets,
        toUInt8(${PROCEDURE_COUNTERS.map((_, i) => `(${left(i + 1)})`).join(' OR ')}) AS left
      FROM
      (
        SELECT period_kind, period_start, agency, procedure, sumForEach(change) AS change,
          sumForEach(after) AS after
        FROM
        (
          SELECT ${cell}, ${counts((c) => layout.at(c.key))} AS change, ${none} AS after
          ${STAGED} AND NOT (role = 'delta' AND agency_code = '')
          UNION ALL
          SELECT toString(period_kind) AS period_kind, period_start, scope_code AS agency,
            toString(procedure_code) AS procedure, ${none} AS change, ${counts((c) => c.column)} AS after
          FROM kpi_scope_procedures_v1
          WHERE scope_kind = 'agency'
            AND (period_kind, period_start, scope_code, procedure_code) IN ${falling}
          UNION ALL
          SELECT ${cell}, ${none} AS change, ${counts((c) => layout.at(c.key))} AS after
          FROM ${liveCellsOfRunSql(RUNNING_PERIODS_SQL)}
          WHERE (period_kind, period_start, agency_code, procedure_code) IN ${falling}
        )
        GROUP BY period_kind, period_start, agency, procedure
        HAVING arrayExists(x -> x != 0, change)
      )`;
}

/**
 * Stores under {live_id} the inputs of the scopes RUNNING_KEYS_SQL names (the city and the chains of the
 * agencies with deltas) as the chain {input_tags} holds them plus the run's deltas and the procedures whose
 * count grew, added to the sets that lack them, all or none: none when a scope the deltas reach (or a period's city) has no row in the
 * chain, is left with no input at all (the statement's row for it then depends on merges of zero rows), or
 * a procedure may have left a set. `cities`: the number of running periods, each of whose city must be
 * there. Then the caller reads the inputs anew instead. `markers`: each period's marker (its city row's
 * period) in the same insert, so one part holds the rows and the markers: code {inputs_code}, parent the
 * nearest tag of {input_tags}, ancestors every tag of it. The deltas and the set additions are rolled up
 * to their scopes (the agency's chain, as index766ScopeInputsSql sums them) together, in one ARRAY JOIN.
 */
export function nextInputsSql(
  layout: CellLayout,
  cities: number,
  markers: boolean,
  /**
   * `moved`: the scopes are MOVED_KEYS_SQL's (an agency's deltas summing to 0 add no row), else
   * RUNNING_KEYS_SQL's; `sets`: no procedure counter moved (movedAgenciesSql), so no set can: the set
   * additions (setAdditionsSource) are left out.
   */
  narrow: { moved: boolean; sets: boolean } = { moved: false, sets: true },
): string {
  const previous = chainRowsSql(
    `toString(period_kind) AS period_kind, period_start, toString(scope_kind) AS scope_kind, scope_code,
      sums, sets, figures, catalog_size, 1 AS found, scope_kind = 'city' AS moved, 0 AS left`,
    narrow.moved ? MOVED_KEYS_SQL : RUNNING_KEYS_SQL,
  );
  // A scope's sets: its previous row's (distinct already), with the added procedures it lacks appended, as
  // arrayDistinct of both would give them; not every element of every set hashed again (the city's
  // services hold every unit's): a small set is searched element by element, a large one hashed.
  const union = `if(empty(added), kept, arrayMap((k, new) -> if(length(k) * length(new) <= ${SEARCHED_PAIRS},
      arrayConcat(k, arrayFilter(x -> NOT has(k, x), new)), arrayDistinct(arrayConcat(k, new))),
    kept, arrayMap(i -> arrayDistinct(arrayFlatten(arrayMap(a -> a[i], added))), range(1, ${INDEX766_SETS.length + 1}))))`;
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
      SELECT ${KEY}, sums, ${union} AS sets, figures, catalog_size, in_chain AS found, moved, left
      FROM
      (
        SELECT ${KEY}, sumForEach(sums) AS sums, anyIf(sets, found = 1) AS kept,
          groupArrayIf(sets, found = 0 AND arrayExists(s -> notEmpty(s), sets)) AS added,
          anyIf(figures, found = 1) AS figures, max(catalog_size) AS catalog_size, max(found) AS in_chain,
          max(moved) AS moved, max(left) AS left
        FROM
        (
          SELECT * FROM (${previous})
          UNION ALL
          SELECT period_kind, period_start, sc.1 AS scope_kind, sc.2 AS scope_code, sums, sets,
            CAST([] AS Array(Tuple(String, UInt64, UInt64))) AS figures, toUInt64(0) AS catalog_size,
            0 AS found, 1 AS moved, left
          FROM (${deltaSumsSource(layout, narrow.moved)}${narrow.sets ? ` UNION ALL${setAdditionsSource(layout)}` : ''})
          ARRAY JOIN ${narrow.moved ? MOVED_ROLLUP_SQL : rollupScopesSql('agency')} AS sc
        )
        GROUP BY ${KEY}
      )
    )
  )
)
ARRAY JOIN ${markers ? "if(scope_kind = 'city', [0, 1], [0])" : '[0]'} AS m
WHERE all_ok = 1 AND city_rows = ${cities}`;
}

/** A stored row's columns as the scorer reads them (ScoringRow); `sets`: else no sizes or commons (empty). */
function scoringColumns(sets = true): string {
  const at = (name: SetName) => INDEX766_SETS.indexOf(name) + 1;
  const commons = INDEX766_COMMONS.map(
    ([a, b]) => `toUInt64(length(arrayIntersect(sets[${at(a)}], sets[${at(b)}])))`,
  );
  const none = 'CAST([] AS Array(UInt64))';
  return `toString(period_kind) AS period_kind, toString(period_start) AS period_start,
  toString(scope_kind) AS scope_kind, scope_code, sums,
  ${sets ? 'arrayMap(s -> toUInt64(length(s)), sets)' : none} AS sizes,
  ${sets ? `[${commons.join(', ')}]` : none} AS commons, figures, catalog_size`;
}

const STORED = "kpi_index766_scope_inputs_v1 WHERE tag = {live_id:String} AND scope_kind != ''";

/**
 * The stored inputs of {live_id} as the scorer reads them: sums, each set's size and the common elements
 * of INDEX766_COMMONS' pairs, not the sets themselves; `where` further restricts the scopes (on the
 * table's columns, not on the text the outer query makes of them).
 */
export function scoringInputsSql(where = '1'): string {
  return `
SELECT ${scoringColumns()}
FROM (SELECT * FROM ${STORED} AND ${where})`;
}

/**
 * The scopes nextInputsSql stored under {live_id} as scoringInputsSql reads them (`current` 1), each beside
 * its row in the chain {input_tags} it was computed from (`current` 0): the sums and figures the previous
 * generation's values of that scope were scored from, and, when `previousSets` (a cycle whose staged rows
 * moved a procedure counter, so a set may have grown), the common elements of its sets (not the sets), so
 * that only the values that differ are staged or written (index766-running.ts, value-rows.ts
 * changedValueRows).
 */
export function scoringPairsSql(previousSets = false): string {
  const previous = chainRowsSql(
    `period_kind, period_start, scope_kind, scope_code, sums, ${previousSets ? 'sets, ' : ''}figures, catalog_size`,
    `(period_kind, period_start, scope_kind, scope_code) IN
        (SELECT period_kind, period_start, scope_kind, scope_code FROM ${STORED})`,
  );
  return `
SELECT 1 AS current, ${scoringColumns()} FROM (SELECT * FROM ${STORED})
UNION ALL
SELECT 0 AS current, ${scoringColumns(previousSets)} FROM (${previous})`;
}
