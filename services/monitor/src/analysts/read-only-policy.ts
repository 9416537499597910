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

/** A ClickHouse string literal holding `text` exactly (backslash escapes, as the engine's lexer reads them). */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
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
