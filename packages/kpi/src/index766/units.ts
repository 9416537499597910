/**
 * The agency hierarchy, computed inside the statement that uses it: for every agency its admin level and
 * its chain (itself, its parent, … up to the root), from the latest row of each agency in agencies_v1. A
 * unit's Decision 766 score includes its sub-units at any depth: a count of agency X also counts for every
 * agency of X's chain. A parent missing from the catalog ends the chain; a cycle ends it at the repeated
 * agency. Chains deeper than MAX_DEPTH agencies are cut there (an administrative hierarchy has a handful).
 *
 * It is not passed as query parameters: parameters travel in the URL of ClickHouse's HTTP interface, and a
 * city's catalog (thousands of agencies) outgrows what a server or proxy accepts there (HTTP 431).
 */

export const MAX_DEPTH = 32;

/** Each agency's latest admin level and parent ('' when none). */
export const LATEST_UNITS_SQL = `
  SELECT agency_code AS code, toString(argMax(admin_level, valid_from)) AS level,
    argMax(coalesce(parent_code, ''), valid_from) AS parent
  FROM agencies_v1 FINAL
  GROUP BY agency_code`;

/**
 * agency code -> its chain, as one scalar (computed once per statement, while it is planned). The chains
 * are followed through each agency's parent as a position in `codes` (0: none, or not in the catalog), an
 * array read, not a lookup in a map: a map is searched key by key, and 4 of those per agency and step took
 * ~0.05 CPU-s with 300 agencies in every statement naming the chains.
 */
const CHAINS = `(
  SELECT CAST(mapFromArrays(codes, arrayMap(i -> arrayMap(j -> codes[j], arrayFold((acc, k) -> if(
      up[acc[-1]] != 0 AND NOT has(acc, up[acc[-1]]), arrayPushBack(acc, up[acc[-1]]), acc),
      range(${MAX_DEPTH - 1}), [toUInt64(i)])), arrayEnumerate(codes))), 'Map(String, Array(String))')
  FROM
  (
    SELECT codes, arrayMap(p -> toUInt64(if(p = '', 0, indexOf(codes, p))), parents) AS up
    FROM (SELECT groupArray(code) AS codes, groupArray(parent) AS parents FROM (${LATEST_UNITS_SQL}))
  )
)`;

/** (code, level) of every agency, as one scalar. */
const LEVELS = `(SELECT groupArray((code, level)) FROM (${LATEST_UNITS_SQL}))`;

/**
 * CHAINS and LEVELS named once, for the WITH of a statement that reads them in several places (the
 * Decision 766 inputs): each place then names them (`named`) instead of holding a copy of the subquery,
 * which the engine would analyse once per copy. A WITH is seen by every subquery of its SELECT.
 */
export const UNITS_WITH = `${CHAINS} AS index766_chains, ${LEVELS} AS index766_levels`;

/**
 * The chain (Array(String)) of the agency code expression `code`: itself when it is not in the catalog.
 * A chain starts with its agency, so the code followed by the chain's parents is either; the map is named
 * once (a missing key gives []), which keeps the statement, whose planning is most of its cost, short.
 */
export function chainOfSql(code: string, named = false): string {
  return `arrayConcat([${code}], arrayPopFront(${named ? 'index766_chains' : CHAINS}[${code}]))`;
}

/** (scope_kind, scope_code) pairs the counts of agency `code` roll up to: the city and the agency's chain. */
export function rollupScopesSql(code: string, named = false): string {
  return `arrayConcat([('city', '')], if(${code} = '', [], arrayMap(c -> ('agency', c), ${chainOfSql(code, named)})))`;
}

/** The codes of the agencies whose admin level satisfies `levelPredicate` (given the level's expression). */
export function unitsAtLevelsSql(levelPredicate: (level: string) => string, named = false): string {
  return `arrayMap(u -> u.1, arrayFilter(u -> ${levelPredicate('u.2')}, ${named ? 'index766_levels' : LEVELS}))`;
}
