import { CODES, EndpointError, type HttpQuery } from '@dossier/clickhouse-http';

/** The engine limits an analyst's query runs under; locked by readonly=1 after they are set. */
export interface AnalystLimits {
  maxResultRows: number;
  maxResultBytes: number;
  maxExecutionTimeS: number;
  maxThreads: number;
  /** The memory budget's per-query cap, spill thresholds and priority (memoryBudget().analystSettings). */
  budgetSettings: Record<string, number>;
  /** Analysts' queries running at once; more wait up to queueTimeoutMs, then get code 202. */
  concurrency: number;
  queueTimeoutMs: number;
}

/**
 * Settings applied before every analyst query, readonly last so the limits are in place before it
 * locks them; the engine then refuses any change of a setting with code 164.
 */
export function lockedSettings(limits: AnalystLimits): [string, string | number][] {
  return [
    ...Object.entries(limits.budgetSettings),
    ['max_threads', limits.maxThreads],
    ['max_result_rows', limits.maxResultRows],
    ['max_result_bytes', limits.maxResultBytes],
    ['result_overflow_mode', 'throw'],
    ['max_execution_time', limits.maxExecutionTimeS],
    ['timeout_overflow_mode', 'throw'],
    ['readonly', 1],
  ];
}

/** The FORMAT of the query's top level, read from the engine's own formatting of it. */
export function formatClause(formatted: string): string | undefined {
  let found: string | undefined;
  for (const match of formatted.matchAll(/(?:^|\n)FORMAT (\w+)/g)) found = match[1];
  return found;
}

/** The engine-formatted query with string literals and quoted identifiers blanked out. */
function codeOnly(formatted: string): string {
  return formatted.replace(/'(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.|``)*`|"(?:[^"\\]|\\.|"")*"/gs, ' ');
}

/**
 * Refuses what readonly=1 lets through in this engine: `SETTINGS x = DEFAULT` (and `SET x = DEFAULT`),
 * which resets any setting, readonly and the limits included, and `INTO OUTFILE`, which writes a file
 * on the server. Checked on the engine's own formatting, so comments and spacing cannot hide them.
 */
export function refuseEscapes(formatted: string): void {
  const code = codeOnly(formatted);
  if (/\bINTO\s+OUTFILE\b/i.test(code)) {
    throw new EndpointError(CODES.READONLY, 'Cannot write to a file (INTO OUTFILE) in readonly mode');
  }
  const reset = /(\w+)\s*=\s*DEFAULT\b/i.exec(code);
  if (reset) {
    throw new EndpointError(CODES.READONLY, `Cannot modify '${reset[1]}' setting in readonly mode`);
  }
}

/** URL settings that would replace a locked value before readonly takes hold are refused like the engine would. */
export function refuseLockedSettings(query: HttpQuery, locked: [string, string | number][]): void {
  const names = new Set(locked.map(([name]) => name));
  for (const [name, value] of Object.entries(query.settings)) {
    if (name === 'readonly' && value === '1') continue;
    if (names.has(name))
      throw new EndpointError(CODES.READONLY, `Cannot modify '${name}' setting in readonly mode`);
  }
}

/**
 * Tables analysts may not read, whatever the database: the operators' audit trail (client addresses,
 * credential ids) and the dead letters kept as clear base64 before they were sealed. The distributed
 * analyst user has the same grants revoked (infra/clickhouse/initdb/10-analyst-user.sh).
 */
export const DENIED_TABLES: readonly string[] = ['operator_actions_v1', 'dead_letters_v1'];

/**
 * Table functions that make rows without reading a table. The others that readonly=1 leaves open
 * (merge, mergeTreeIndex, view, viewIfPermitted …) reach tables by pattern or by text inside them,
 * which the engine's query tree does not resolve, so the policy cannot see which table they read.
 */
const ROW_MAKERS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateSeries',
  'generateRandom',
  'primes',
  'values',
  'null',
]);

function accessDenied(table: string): EndpointError {
  return new EndpointError(
    CODES.ACCESS_DENIED,
    `Not enough privileges. To execute this query, it's necessary to have the grant SELECT ON ${table}`,
  );
}

/** The formatted query with string literals blanked out; identifiers, quoted or not, stay. */
function withoutStrings(formatted: string): string {
  return formatted.replace(/'(?:[^'\\]|\\.|'')*'/gs, "''");
}

/**
 * Refuses any statement that names a denied table (SHOW CREATE, DESCRIBE, EXPLAIN and reads alike); a
 * name inside a string literal is data (system.tables WHERE name = '…' lists it, reads nothing).
 */
export function refuseDeniedNames(formatted: string): void {
  const code = withoutStrings(formatted);
  for (const table of DENIED_TABLES) {
    if (new RegExp(`(^|[^A-Za-z0-9_])${table}($|[^A-Za-z0-9_])`).test(code)) throw accessDenied(table);
  }
}

/**
 * The query whose tree decides what a statement reads: the statement itself when it is a SELECT, the
 * explained query of an EXPLAIN (some kinds run scalar subqueries); its top-level FORMAT left out, so
 * the tree comes back as text. Undefined for statements that read no rows (SHOW, DESCRIBE, EXISTS …).
 */
export function treeTarget(formatted: string): string | undefined {
  let query = formatted;
  if (/^EXPLAIN\b/.test(formatted)) {
    const newline = formatted.indexOf('\n');
    if (newline < 0) return undefined;
    query = formatted.slice(newline + 1);
  }
  if (!/^\s*(\(|SELECT\b|WITH\b)/i.test(query)) return undefined;
  return query.replace(/\nFORMAT \w+/g, '');
}

/**
 * Refuses a query whose analysed tree (EXPLAIN QUERY TREE) reads a denied table, through a view's
 * query, a CTE or a subquery alike, or calls a table function that is not a plain row maker.
 */
export function refuseDeniedReads(tree: string): void {
  for (const match of tree.matchAll(/\btable_name: (\S+?)(?:,|\s|$)/g)) {
    const name = match[1] ?? '';
    const table = name.slice(name.lastIndexOf('.') + 1);
    if (DENIED_TABLES.includes(table)) throw accessDenied(name);
  }
  for (const match of tree.matchAll(/\btable_function_name: (\w+)/g)) {
    const fn = match[1] ?? '';
    if (!ROW_MAKERS.has(fn)) {
      throw new EndpointError(
        CODES.ACCESS_DENIED,
        `Not enough privileges. The table function ${fn}() reads tables the analysts' policy cannot check; query the tables by name`,
      );
    }
  }
}
