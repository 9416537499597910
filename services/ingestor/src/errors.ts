/**
 * Failure classification by error class and code, never by message text. Three outcomes matter to
 * the ingestor: retry later (transient), the rows themselves are unacceptable (row), or we gave up
 * because the process is stopping (abandoned).
 */

/** Thrown into an in-flight batch when the shutdown deadline passes; the batch stays uncommitted. */
export class BatchAbandonedError extends Error {
  constructor() {
    super('in-flight batch abandoned at the shutdown deadline');
    this.name = 'BatchAbandonedError';
  }
}

export type FailureKind = 'transient' | 'row' | 'abandoned';

export interface Classified {
  kind: FailureKind;
  /** Closed label value: a ClickHouse error number, a known Node/undici code, `kafka`, or `other`. */
  code: string;
}

/**
 * ClickHouse codes raised by the data of a row (parsing, conversion, range). Anything else (unknown
 * table, memory, too many parts, timeouts) is about the server or the deployment, not the rows, so it
 * is retried: dead-lettering good rows because a table is missing would be data loss by another name.
 */
const ROW_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  128, // TOO_LARGE_ARRAY_SIZE
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (a materialized view's throwIf on a row)
  467, // CANNOT_PARSE_BOOL
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

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

/** ClickHouseError (HTTP or chDB) carries `code` as a decimal string and `type` as the symbolic name. */
export function clickHouseCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, type } = err as Error & { code?: unknown; type?: unknown };
  if (typeof code !== 'string' || !/^\d{1,4}$/.test(code) || typeof type !== 'string') return undefined;
  return Number(code);
}

export function classifyError(err: unknown): Classified {
  if (err instanceof BatchAbandonedError) return { kind: 'abandoned', code: 'abandoned' };
  const chCode = clickHouseCode(err);
  if (chCode !== undefined) {
    return { kind: ROW_ERROR_CODES.has(chCode) ? 'row' : 'transient', code: String(chCode) };
  }
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return { kind: 'transient', code };
    // kafkajs errors (the dead-letter producer) are all worth retrying later: a write we cannot do
    // now blocks the commit, and the partition is paused instead of crash-looping.
    if (err.name.startsWith('KafkaJS')) return { kind: 'transient', code: 'kafka' };
  }
  // Unknown origin: treated as transient so the partition backs off rather than dropping anything.
  return { kind: 'transient', code: 'other' };
}

/** `SOMETHING (CODE 27)` style text for a dead letter: the code and symbolic type, never the message. */
export function describeClickHouseRejection(err: unknown): string {
  const code = clickHouseCode(err);
  const type = (err as { type?: unknown }).type;
  return code === undefined
    ? 'ClickHouse rejected the row'
    : `ClickHouse rejected the row: code ${code} ${typeof type === 'string' ? type : ''}`.trimEnd();
}
