/**
 * ClickHouse's error vocabulary over HTTP: the exception codes a server in front of the engine raises
 * itself, and the HTTP status ClickHouse gives each code (its exceptionCodeToHTTPStatus; codes checked
 * against errorCodeToName() of the embedded engine).
 */
export const CODES = {
  UNSUPPORTED_METHOD: 1,
  NOT_IMPLEMENTED: 48,
  BAD_ARGUMENTS: 36,
  CHECKSUM_DOESNT_MATCH: 40,
  CANNOT_DECOMPRESS: 271,
  UNKNOWN_COMPRESSION_METHOD: 89,
  UNKNOWN_SETTING: 115,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  REQUIRED_PASSWORD: 194,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  MEMORY_LIMIT_EXCEEDED: 241,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  TOO_MANY_ROWS_OR_BYTES: 396,
  QUERY_WAS_CANCELLED: 394,
  INVALID_SESSION_TIMEOUT: 374,
  AUTHENTICATION_FAILED: 516,
  HTTP_LENGTH_REQUIRED: 381,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(CODES).map(([name, code]) => [code, name]),
);

const BAD_REQUEST = [
  6, 8, 15, 25, 26, 27, 36, 37, 38, 41, 44, 53, 62, 72, 117, 123, 167, 168, 223, 321, 376, 427, 441, 675, 676,
];
const NOT_FOUND = [46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511];
const FORBIDDEN = [192, 193, 497, 512, 516];

export function httpStatusOf(code: number): number {
  if (code === 194) return 401;
  if (FORBIDDEN.includes(code)) return 403;
  if (BAD_REQUEST.includes(code)) return 400;
  if (NOT_FOUND.includes(code)) return 404;
  if (code === 229) return 413;
  if (code === 48) return 501;
  if (code === 209 || code === 76 || code === 439) return 503;
  if (code === 381) return 411;
  if (code === 159) return 408;
  if (code === 779) return 415;
  return 500;
}

/** An error raised in front of the engine, with ClickHouse's code for it. */
export class EndpointError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

export interface ExceptionBody {
  code: number;
  text: string;
}

const ENGINE_TEXT = /^Code: (\d+)\. /;

/**
 * The text ClickHouse sends for a failed query: `Code: N. DB::Exception: … (NAME) (version …)`.
 * Engine errors keep the engine's own text; anything that is not a ClickHouse error gets code 1001
 * and a generic text, so no internal detail leaks to the client.
 */
export function exceptionBody(err: unknown, version: string): ExceptionBody {
  if (err instanceof EndpointError) {
    const name = NAMES[err.code] ?? 'UNKNOWN_EXCEPTION';
    return {
      code: err.code,
      text: `Code: ${err.code}. DB::Exception: ${err.message}. (${name}) (version ${version})\n`,
    };
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  for (const raw of [cause, err instanceof Error ? err.message : undefined]) {
    const match = raw === undefined ? null : ENGINE_TEXT.exec(raw);
    if (raw !== undefined && match) {
      const withVersion = raw.includes('(version ') ? raw : `${raw} (version ${version})`;
      return { code: Number(match[1]), text: `${withVersion.trimEnd()}\n` };
    }
  }
  const code =
    err instanceof Error && 'code' in err && /^\d+$/.test(String(err.code)) ? Number(err.code) : 1001;
  const type =
    err instanceof Error && 'type' in err && typeof err.type === 'string' ? err.type : 'STD_EXCEPTION';
  if (code !== 1001 && err instanceof Error) {
    return { code, text: `Code: ${code}. DB::Exception: ${err.message}. (${type}) (version ${version})\n` };
  }
  return {
    code,
    text: `Code: ${code}. DB::Exception: Internal error of the server. (STD_EXCEPTION) (version ${version})\n`,
  };
}
