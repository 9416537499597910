import type { createClient } from '@clickhouse/client';
// The HTTP client's own formatting of `param_<name>` values: bound on the session, a value reads exactly
// as it would over HTTP, so the same SQL serves both engines.
import { formatQueryParams } from '@clickhouse/client/dist/common/data_formatter/index.js';
import { QUERY_PARAM_NAME, stringLiteral } from './sql-literals.ts';

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
type Settings = Record<string, unknown> | undefined;
type Params = Record<string, unknown> | undefined;

export interface ScopeOptions {
  /**
   * Bind query parameters with `SET param_<name>` on this connection's session instead of chDB's
   * bound-statement path, which runs every parameterized statement of the process through one queue:
   * there, a reader waits behind any long bound statement of any connection (the monitor waited 57 s
   * behind a KPI cycle's write, #15). A bound value stays set on the session until a later call sets it
   * again; every statement sets the values it names, so none reads another's.
   */
  sessionParams?: boolean;
}

/**
 * chDB applies a call's `clickhouse_settings` as session-wide `SET k = v` before the statement, so a
 * setting meant for one call (an insert deduplication token, `readonly` for an analyst's query, result
 * limits) would silently apply to every later call of every service sharing the session. This wrapper
 * runs calls one at a time (the chDB session executes one statement at a time anyway) and sets each
 * such setting back to its default right after the call, so settings stay per call as over HTTP.
 *
 * chDB cannot interrupt a running statement: an aborted call is rejected at once, but the session stays
 * busy (and the next call waits) until the statement ends, and a call aborted before its turn never runs.
 */
export function scopeSettingsPerCall(inner: Connection, options: ScopeOptions = {}): Connection {
  let tail: Promise<unknown> = Promise.resolve();

  function serial<T>(
    settings: Settings,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const run = async () => {
      signal?.throwIfAborted();
      try {
        return await call();
      } finally {
        await reset(settings);
      }
    };
    const result = tail.then(run, run);
    tail = result.catch(() => undefined);
    return signal ? settledOrAborted(result, signal) : result;
  }

  async function reset(settings: Settings): Promise<void> {
    const keys = Object.entries(settings ?? {})
      .filter(([key, value]) => value !== undefined && !NOT_ENGINE_SETTINGS.has(key))
      .map(([key]) => key);
    if (keys.length === 0) return;
    // Setting names were already validated by chDB when it applied them (identifier pattern).
    await inner.command({ query: keys.map((key) => `SET ${key} = DEFAULT`).join('; ') });
  }

  /** The statement with its parameters set on the session first, and no parameters left for chDB. */
  function bound<P extends { query: string; query_params?: Params }>(params: P): P {
    const values = Object.entries(params.query_params ?? {});
    if (!options.sessionParams || values.length === 0) return params;
    const sets = values.map(([name, value]) => {
      if (!QUERY_PARAM_NAME.test(name))
        throw new Error(`Invalid query parameter name: ${JSON.stringify(name)}`);
      return `SET param_${name} = ${stringLiteral(formatQueryParams({ value }))}`;
    });
    const { query_params: _bound, ...rest } = params;
    return { ...rest, query: `${sets.join('; ')}; ${params.query}` } as P;
  }

  // The signal stays here: given to chDB it would settle the call early and let the next one start
  // while the statement still runs.
  const wrapped: Connection = {
    ping: (params) => serial(undefined, undefined, () => inner.ping(params)),
    query: ({ abort_signal, ...params }) =>
      serial(params.clickhouse_settings, abort_signal, () => inner.query(bound(params))),
    insert: ({ abort_signal, ...params }) =>
      serial(params.clickhouse_settings, abort_signal, () => inner.insert(params)),
    command: ({ abort_signal, ...params }) =>
      serial(params.clickhouse_settings, abort_signal, () => inner.command(bound(params))),
    exec: ({ abort_signal, ...params }) =>
      serial(params.clickhouse_settings, abort_signal, () => inner.exec(bound(params))),
    close: () => serial(undefined, undefined, () => inner.close()),
  };
  return wrapped;
}

/** The call's outcome, or the abort reason as soon as the signal fires (the call itself goes on). */
function settledOrAborted<T>(result: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    result.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// Settings that chDB's connection consumes itself (HTTP-only ones it drops, and default_format which it
// maps to its output format option): they never reach the session, so there is nothing to reset.
const NOT_ENGINE_SETTINGS = new Set([
  'default_format',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);
