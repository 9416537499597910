// A TEST FIXTURE, never a deployment option: ClickHouse's HTTP interface, writes allowed, in front of
// the engine chDB embeds. Tests of the distributed topology (services as separate processes talking to
// ClickHouse over HTTP) use it where no clickhouse-server can run; with one, they use the real server.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EmbeddedSession,
  openEmbeddedEngine,
  QUERY_PARAM_NAME,
  stringLiteral,
} from '@dossier/clickhouse';
import {
  CODES,
  createClickHouseHttpHandler,
  EndpointError,
  type HttpQuery,
  type QueryBackend,
  type QueryExecution,
} from '@dossier/clickhouse-http';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from './stale-dirs.ts';

export interface ClickHouseHttpStandInOptions {
  /** The chDB data directory; a fresh temp dir (removed by stop()) when absent. */
  dataDir?: string;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (a free one when absent). */
  port?: number;
}

export interface ClickHouseHttpStandIn {
  /** `http://127.0.0.1:<port>`: give it to createClickHouse / @clickhouse/client as a server URL. */
  url: string;
  stop(): Promise<void>;
}

/** Inserts carry their rows in the body; a batch of the ingestor is tens of MB at most. */
const MAX_BODY_BYTES = 1 << 30;
const INSERT = /^\s*INSERT\b/i;

/**
 * Runs every statement on one chDB session, one at a time in arrival order (the engine's session
 * runs one statement at a time anyway). Each call's database, settings and `param_*` values are
 * applied with `USE`/`SET` before it and set back to their defaults after it, so they stay per call
 * as on a server (`param_*` values cannot be unset; a later call that sends its own replaces them).
 * HTTP sessions (`session_id`) are refused: nothing in the pipeline uses them.
 */
function createWritableBackend(session: EmbeddedSession): {
  backend: QueryBackend;
  idle(): Promise<unknown>;
} {
  let tail: Promise<unknown> = Promise.resolve();

  function serial<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    const run = async () => {
      signal.throwIfAborted();
      return call();
    };
    const result = tail.then(run, run);
    tail = result.catch(() => undefined);
    return result;
  }

  async function outputFormat(query: HttpQuery): Promise<string> {
    // An INSERT's inline rows would make formatQuery fail; it returns nothing anyway.
    if (INSERT.test(query.sql)) return query.defaultFormat;
    try {
      const formatted = (
        await session.run(`SELECT formatQuery(${stringLiteral(query.sql)})`, 'TSVRaw')
      ).toString();
      let found: string | undefined;
      for (const match of formatted.matchAll(/(?:^|\n)FORMAT (\w+)/g)) found = match[1];
      return found ?? query.defaultFormat;
    } catch {
      // Unparsable text: running it below gives the engine's own syntax error to the client.
      return query.defaultFormat;
    }
  }

  async function runOne(query: HttpQuery): Promise<{ format: string; bytes: Buffer }> {
    const setup = [`USE \`${query.database ?? 'default'}\``];
    const reset: string[] = [];
    for (const [name, value] of Object.entries(query.settings)) {
      setup.push(`SET ${name} = ${stringLiteral(value)}`);
      reset.push(`SET ${name} = DEFAULT`);
    }
    for (const [name, value] of Object.entries(query.params)) {
      if (!QUERY_PARAM_NAME.test(name)) {
        throw new EndpointError(CODES.BAD_ARGUMENTS, `Invalid query parameter name '${name.slice(0, 60)}'`);
      }
      setup.push(`SET param_${name} = ${stringLiteral(value)}`);
    }
    try {
      await session.run(setup.join('; '));
      const format = await outputFormat(query);
      return { format, bytes: await session.run(query.sql, format) };
    } finally {
      if (reset.length > 0) await session.run(reset.join('; '));
    }
  }

  const backend: QueryBackend = {
    async execute(query: HttpQuery, signal: AbortSignal): Promise<QueryExecution> {
      if (query.session) {
        throw new EndpointError(
          CODES.BAD_ARGUMENTS,
          'HTTP sessions (session_id) are not supported by the ClickHouse HTTP stand-in',
        );
      }
      const { format, bytes } = await serial(signal, () => runOne(query));
      return {
        format,
        queryId: query.queryId ?? randomUUID(),
        chunks: (async function* () {
          yield { bytes, rows: 0 };
        })(),
      };
    },
  };
  return { backend, idle: () => tail };
}

/**
 * Starts ClickHouse's HTTP interface over chDB on a free port: queries and inserts in the body,
 * settings and `param_*` as URL parameters, query_id, ClickHouse block compression and HTTP
 * Content-Encodings both ways, ClickHouse's error codes, texts and headers.
 */
export async function startClickHouseHttpStandIn(
  options: ClickHouseHttpStandInOptions = {},
): Promise<ClickHouseHttpStandIn> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(ownedTempPrefix(CHDB_DIR_PREFIX)));
  const engine = await openEmbeddedEngine(`chdb:${dataDir}`);
  const session = engine.openSession();
  const version = (await session.run('SELECT version()', 'TSVRaw')).toString().trim();
  const writable = createWritableBackend(session);
  const handle = createClickHouseHttpHandler({
    backend: writable.backend,
    version,
    displayName: 'clickhouse-http-standin',
    timezone: 'UTC',
    maxQueryBytes: MAX_BODY_BYTES,
  });
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // A statement still running when its client went away finishes before the engine closes.
        await writable.idle();
        session.close();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
