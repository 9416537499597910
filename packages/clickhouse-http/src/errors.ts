import {
  CLICKHOUSE_CODES,
  clickHouseCodeName,
  clickHouseErrorCode,
  httpStatusOfCode,
} from '@dossier/clickhouse';

// ClickHouse's error vocabulary (the codes a server in front of the engine raises, the HTTP status each
// code gets) is the shared one of @dossier/clickhouse; these are the names this package's modules use.
export const CODES = CLICKHOUSE_CODES;
export const httpStatusOf = httpStatusOfCode;

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
    const name = clickHouseCodeName(err.code) ?? 'UNKNOWN_EXCEPTION';
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
  const code = clickHouseErrorCode(err);
  if (code !== undefined && err instanceof Error) {
    const type = (err as Error & { type: string }).type;
    return { code, text: `Code: ${code}. DB::Exception: ${err.message}. (${type}) (version ${version})\n` };
  }
  return {
    code: 1001,
    text: `Code: 1001. DB::Exception: Internal error of the server. (STD_EXCEPTION) (version ${version})\n`,
  };
}
