import type { createClient } from '@clickhouse/client';

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
type Settings = Record<string, unknown> | undefined;

/**
 * chDB applies a call's `clickhouse_settings` as session-wide `SET k = v` before the statement, so a
 * setting meant for one call (an insert deduplication token, `readonly` for an analyst's query, result
 * limits) would silently apply to every later call of every service sharing the session. This wrapper
 * runs calls one at a time (the chDB session executes one statement at a time anyway) and sets each
 * such setting back to its default right after the call, so settings stay per call as over HTTP.
 */
export function scopeSettingsPerCall(inner: Connection): Connection {
  let tail: Promise<unknown> = Promise.resolve();

  function serial<T>(settings: Settings, call: () => Promise<T>): Promise<T> {
    const run = async () => {
      try {
        return await call();
      } finally {
        await reset(settings);
      }
    };
    const result = tail.then(run, run);
    tail = result.catch(() => undefined);
    return result;
  }

  async function reset(settings: Settings): Promise<void> {
    const keys = Object.entries(settings ?? {})
      .filter(([key, value]) => value !== undefined && !NOT_ENGINE_SETTINGS.has(key))
      .map(([key]) => key);
    if (keys.length === 0) return;
    // Setting names were already validated by chDB when it applied them (identifier pattern).
    await inner.command({ query: keys.map((key) => `SET ${key} = DEFAULT`).join('; ') });
  }

  const wrapped: Connection = {
    ping: (params) => serial(undefined, () => inner.ping(params)),
    query: (params) => serial(params.clickhouse_settings, () => inner.query(params)),
    insert: (params) => serial(params.clickhouse_settings, () => inner.insert(params)),
    command: (params) => serial(params.clickhouse_settings, () => inner.command(params)),
    exec: (params) => serial(params.clickhouse_settings, () => inner.exec(params)),
    close: () => serial(undefined, () => inner.close()),
  };
  return wrapped;
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
