/**
 * What a failed call means, decided by error code, never by message text: ClickHouse's exception codes
 * (over HTTP and from chDB alike) and the network codes of Node's sockets and undici. One vocabulary for
 * every service; each applies its own policy (the ingestor retries whatever is not about the rows, the
 * aggregator retries only what may pass, the dashboard shows an empty panel for a table not there yet,
 * the analysts' endpoint answers with the HTTP status ClickHouse itself gives a code).
 */

/** The ClickHouse codes this code base raises or acts on, by name (errorCodeToName() of the engine). */
export const CLICKHOUSE_CODES = {
  UNSUPPORTED_METHOD: 1,
  CANNOT_PARSE_TEXT: 6,
  CANNOT_PARSE_ESCAPE_SEQUENCE: 25,
  CANNOT_PARSE_QUOTED_STRING: 26,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  BAD_ARGUMENTS: 36,
  CANNOT_PARSE_DATE: 38,
  CHECKSUM_DOESNT_MATCH: 40,
  CANNOT_PARSE_DATETIME: 41,
  NOT_IMPLEMENTED: 48,
  TYPE_MISMATCH: 53,
  UNKNOWN_TABLE: 60,
  ARGUMENT_OUT_OF_BOUND: 69,
  CANNOT_CONVERT_TYPE: 70,
  CANNOT_PARSE_NUMBER: 72,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_COMPRESSION_METHOD: 89,
  UNKNOWN_SETTING: 115,
  INCORRECT_DATA: 117,
  TOO_LARGE_ARRAY_SIZE: 128,
  TOO_LARGE_STRING_SIZE: 131,
  TIMEOUT_EXCEEDED: 159,
  TOO_SLOW: 160,
  READONLY: 164,
  REQUIRED_PASSWORD: 194,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  SOCKET_TIMEOUT: 209,
  NETWORK_ERROR: 210,
  QUERY_IS_TOO_LARGE: 229,
  MEMORY_LIMIT_EXCEEDED: 241,
  TOO_MANY_PARTS: 252,
  CANNOT_DECOMPRESS: 271,
  VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: 321,
  CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN: 349,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  INVALID_SESSION_TIMEOUT: 374,
  HTTP_LENGTH_REQUIRED: 381,
  QUERY_WAS_CANCELLED: 394,
  FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: 395,
  TOO_MANY_ROWS_OR_BYTES: 396,
  SYSTEM_ERROR: 425,
  CANNOT_PARSE_BOOL: 467,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  UNKNOWN_ELEMENT_OF_ENUM: 691,
} as const;
export type ClickHouseCodeName = keyof typeof CLICKHOUSE_CODES;

const NAMES = new Map<number, string>(Object.entries(CLICKHOUSE_CODES).map(([name, code]) => [code, name]));

/** The symbolic name of a code listed above (undefined for the others). */
export function clickHouseCodeName(code: number): string | undefined {
  return NAMES.get(code);
}

/**
 * The code of a ClickHouse exception: a `ClickHouseError` (HTTP or chDB) carries it as a decimal string
 * in `code`, with the symbolic name in `type`. Anything else (a socket error's `code: 'ECONNRESET'`, an
 * object that merely has a numeric `code`) is not one.
 */
export function clickHouseErrorCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, type } = err as Error & { code?: unknown; type?: unknown };
  if (typeof code !== 'string' || !/^\d{1,4}$/.test(code) || typeof type !== 'string') return undefined;
  return Number(code);
}

const code = (name: ClickHouseCodeName) => CLICKHOUSE_CODES[name];

/**
 * Raised by the data of a row (parsing, conversion, range). Anything else (unknown table, memory, too many
 * parts, timeouts) is about the server or the deployment, not the rows.
 */
const ROW_CODES = new Set<number>(
  (
    [
      'CANNOT_PARSE_TEXT',
      'CANNOT_PARSE_ESCAPE_SEQUENCE',
      'CANNOT_PARSE_QUOTED_STRING',
      'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
      'CANNOT_PARSE_DATE',
      'CANNOT_PARSE_DATETIME',
      'TYPE_MISMATCH',
      'ARGUMENT_OUT_OF_BOUND',
      'CANNOT_CONVERT_TYPE',
      'CANNOT_PARSE_NUMBER',
      'INCORRECT_DATA',
      'TOO_LARGE_ARRAY_SIZE',
      'TOO_LARGE_STRING_SIZE',
      'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
      'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
      'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO', // a materialized view's throwIf on a row
      'CANNOT_PARSE_BOOL',
      'UNKNOWN_ELEMENT_OF_ENUM',
    ] as const
  ).map(code),
);

/** The server is busy, slow or short of memory, or the query was cut off: the same call may pass later. */
const PASSING_CODES = new Set<number>(
  (
    [
      'TIMEOUT_EXCEEDED',
      'TOO_SLOW',
      'TOO_MANY_SIMULTANEOUS_QUERIES',
      'SOCKET_TIMEOUT',
      'NETWORK_ERROR',
      'MEMORY_LIMIT_EXCEEDED',
      'TOO_MANY_PARTS',
      'QUERY_WAS_CANCELLED',
      'SYSTEM_ERROR',
    ] as const
  ).map(code),
);

/** The table (or its database) is not there yet: nothing has migrated it. */
const MISSING_TABLE_CODES = new Set<number>([code('UNKNOWN_TABLE'), code('UNKNOWN_DATABASE')]);

export function isRowErrorCode(chCode: number): boolean {
  return ROW_CODES.has(chCode);
}

export function isPassingErrorCode(chCode: number): boolean {
  return PASSING_CODES.has(chCode);
}

export function isMissingTable(err: unknown): boolean {
  const chCode = clickHouseErrorCode(err);
  return chCode !== undefined && MISSING_TABLE_CODES.has(chCode);
}

/**
 * The HTTP status ClickHouse's HTTP interface answers a code with (src/Server/HTTP/
 * exceptionCodeToHTTPStatus.cpp; codes checked against errorCodeToName() of the embedded engine).
 */
const BAD_REQUEST = new Set([
  6, 8, 15, 25, 26, 27, 36, 37, 38, 41, 44, 53, 62, 72, 117, 123, 167, 168, 223, 321, 376, 427, 441, 675, 676,
]);
const NOT_FOUND = new Set([46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511]);
const FORBIDDEN = new Set([192, 193, 497, 512, 516]);
const OTHER_STATUS = new Map([
  [194, 401],
  [229, 413],
  [48, 501],
  [209, 503],
  [76, 503],
  [439, 503],
  [381, 411],
  [159, 408],
  [779, 415],
]);

export function httpStatusOfCode(chCode: number): number {
  if (FORBIDDEN.has(chCode)) return 403;
  if (BAD_REQUEST.has(chCode)) return 400;
  if (NOT_FOUND.has(chCode)) return 404;
  return OTHER_STATUS.get(chCode) ?? 500;
}

/**
 * Socket and DNS failures (Node) and undici's transport errors: the peer (ClickHouse, Redis) was not
 * reached or the connection broke, so the same call may pass later. One list for every service: it is
 * the union of the ingestor's and the aggregator's former lists, which disagreed only by omission (an
 * unreachable host or network, an aborted connection and undici's timeouts are as passing as a refused
 * connection).
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The network code of a failed connection (`ECONNREFUSED` …), or undefined for any other error. */
export function networkErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const errCode = (err as Error & { code?: unknown }).code;
  return typeof errCode === 'string' && NETWORK_CODES.has(errCode) ? errCode : undefined;
}
