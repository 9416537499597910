import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client';
import type { Logger } from '@dossier/observability';
import { clickHouseClientLog } from './client-log.ts';
import { scopeSettingsPerCall } from './session-scoped-settings.ts';

export type ClickHouse = ClickHouseClient;
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface ClickHouseOptions {
  /** `http(s)://user:pass@host:port/db` for a server, or `chdb:<dir>` for the embedded engine. */
  url: string;
  database?: string;
  requestTimeoutMs?: number;
  /** Defaults every call carries (the memory budget's limits and spill thresholds among them). */
  settings?: ClickHouseSettings;
  application?: string;
  /**
   * Server settings of the embedded engine (`--name=value`), applied when this client is the first
   * to open its data directory in the process; ignored for a server.
   */
  engineArgs?: string[];
  /**
   * Embedded engine only: bind query parameters on this client's own session (`SET param_<name>`), so
   * its bound statements never queue behind other clients' in chDB's process-wide queue for them (see
   * session-scoped-settings.ts). For readers that must answer while the pipeline writes (the monitor).
   */
  sessionParams?: boolean;
  /** Where the client's own log lines go (see client-log.ts); without one, the client's console logger. */
  logger?: Logger;
}

export const EMBEDDED_PREFIX = 'chdb:';

export function isEmbeddedUrl(url: string): boolean {
  return url.startsWith(EMBEDDED_PREFIX);
}

/**
 * One client type whatever the engine: a server over HTTP, or chDB in-process through the
 * `@clickhouse/client` connection interface. Callers cannot tell which they hold.
 */
export async function createClickHouse(options: ClickHouseOptions): Promise<ClickHouse> {
  const common = {
    request_timeout: options.requestTimeoutMs ?? 60_000,
    clickhouse_settings: {
      date_time_input_format: 'best_effort',
      // Older servers quote 64-bit integers in JSON and newer ones and chDB do not: pin it so callers
      // cannot tell which engine they hold.
      output_format_json_quote_64bit_integers: 0,
      ...options.settings,
    } satisfies ClickHouseSettings,
    application: options.application ?? 'dossier-pipeline',
    ...(options.logger ? { log: clickHouseClientLog(options.logger) } : {}),
  };
  if (isEmbeddedUrl(options.url)) {
    // Loaded lazily: the native library is ~540 MB and distributed deployments never need it.
    const { createChdbConnection } = await import('chdb/connection');
    const path = options.url.slice(EMBEDDED_PREFIX.length) || './data/clickhouse';
    // The engine's server settings come with the first connection to a directory and hold for the
    // process; this one stays open as long as the client so the engine is not torn down and rebuilt.
    const { Session } = await import('chdb');
    const primer = options.engineArgs?.length
      ? new Session(path, { connectionArgs: options.engineArgs })
      : undefined;
    // chdb types its connection against @clickhouse/client-common while @clickhouse/client bundles its own
    // copy of the same interfaces; they differ only in the settings catalogue, so the cast is structural.
    const connection = scopeSettingsPerCall(createChdbConnection({ path }) as unknown as ClientConnection, {
      sessionParams: options.sessionParams ?? false,
    });
    const client = createClient({ ...common, connection });
    if (!primer) return client;
    const close = client.close.bind(client);
    client.close = async () => {
      try {
        await close();
      } finally {
        primer.close();
      }
    };
    return client;
  }
  return createClient({ ...common, url: options.url, database: options.database });
}
