import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODES, EndpointError, exceptionBody, httpStatusOf } from './errors.ts';
import { type HttpQuery, readQuery } from './request.ts';
import {
  type BodyWrapping,
  contentType,
  exceptionTag,
  midStreamException,
  socketTarget,
  wrapAll,
  wrapBody,
} from './response.ts';
import { Spool } from './spool.ts';

/** One block of a result: its bytes in the output format, and how many rows they hold. */
export interface ResultChunk {
  bytes: Uint8Array;
  rows: number;
}

/** A query the backend accepted: its output format and its result, produced lazily. */
export interface QueryExecution {
  format: string;
  queryId: string;
  /** An error thrown while iterating is a failure after the first bytes may have been sent. */
  chunks: AsyncIterable<ResultChunk>;
}

/** What runs the queries behind the interface: the engine, a policy in front of it, or both. */
export interface QueryBackend {
  /** Throws an EndpointError (or an engine error) to refuse the query. */
  execute(query: HttpQuery, signal: AbortSignal): Promise<QueryExecution>;
}

export interface ClickHouseHttpOptions {
  backend: QueryBackend;
  /** Checks credentials; throws an EndpointError (194, 516) to refuse. Runs before the backend. */
  authenticate?: (query: HttpQuery) => void;
  version: string;
  displayName: string;
  timezone: string;
  maxQueryBytes: number;
  /** `wait_end_of_query=1` keeps this much in memory before spilling to a temporary file. */
  spoolMemoryBytes?: number;
  /** Called once per query with its outcome: null for success, else the exception code. */
  onFinished?: (code: number | null, seconds: number) => void;
}

const PING = new Set(['/ping', '/replicas_status']);

interface Summary {
  read_rows: string;
  read_bytes: string;
  written_rows: string;
  written_bytes: string;
  total_rows_to_read: string;
  result_rows: string;
  result_bytes: string;
  elapsed_ns: string;
}

function summary(rows: number, bytes: number, startedNs: bigint): Summary {
  return {
    read_rows: '0',
    read_bytes: '0',
    written_rows: '0',
    written_bytes: '0',
    total_rows_to_read: '0',
    result_rows: String(rows),
    result_bytes: String(bytes),
    elapsed_ns: String(process.hrtime.bigint() - startedNs),
  };
}

/**
 * ClickHouse's HTTP interface over any backend: request parsing, credentials, the response headers
 * clients read, ClickHouse's block framing (`compress=1`) and HTTP Content-Encodings, the whole-result
 * wait (`wait_end_of_query=1`) and the exception frame of a failure after the data started.
 */
export function createClickHouseHttpHandler(options: ClickHouseHttpOptions) {
  const common = {
    'X-ClickHouse-Server-Display-Name': options.displayName,
    'X-ClickHouse-Timezone': options.timezone,
  };

  async function fail(
    res: ServerResponse,
    err: unknown,
    tag: string,
    wrapping: BodyWrapping | null,
  ): Promise<number> {
    const { code, text } = exceptionBody(err, options.version);
    const body = wrapping ? await wrapAll(Buffer.from(text), wrapping) : Buffer.from(text);
    if (res.headersSent) return code;
    res.writeHead(httpStatusOf(code), {
      ...common,
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(code),
      'X-ClickHouse-Exception-Tag': tag,
      ...(wrapping?.encoding ? { 'Content-Encoding': wrapping.encoding, Vary: 'Accept-Encoding' } : {}),
      'Content-Length': body.length,
    });
    res.end(body);
    return code;
  }

  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<number | null> {
    const url = new URL(req.url ?? '/', 'http://clickhouse');
    const tag = exceptionTag();
    let query: HttpQuery;
    try {
      if (url.pathname !== '/' && url.pathname !== '/query')
        throw new EndpointError(CODES.BAD_ARGUMENTS, `There is no handler for ${url.pathname.slice(0, 80)}`);
      query = await readQuery(req, url, options.maxQueryBytes);
      options.authenticate?.(query);
    } catch (err) {
      return fail(res, err, tag, null);
    }
    // From here ClickHouse has set up its output, so even an error is framed and encoded as asked.
    const wrapping: BodyWrapping = {
      compress: query.compress,
      encoding: query.responseEncoding,
      level: query.compressionLevel,
    };
    const started = process.hrtime.bigint();
    let execution: QueryExecution;
    try {
      execution = await options.backend.execute(query, signal);
    } catch (err) {
      return fail(res, err, tag, wrapping);
    }
    const headers = {
      ...common,
      'Content-Type': contentType(execution.format),
      'X-ClickHouse-Format': execution.format,
      'X-ClickHouse-Query-Id': execution.queryId,
      'X-ClickHouse-Exception-Tag': tag,
      ...(wrapping.encoding ? { 'Content-Encoding': wrapping.encoding, Vary: 'Accept-Encoding' } : {}),
    };
    let rows = 0;
    let bytes = 0;
    const progress: string[] = [];
    const iterator = execution.chunks[Symbol.asyncIterator]();
    try {
      return await stream(iterator);
    } finally {
      await iterator.return?.();
    }

    async function stream(iterator: AsyncIterator<ResultChunk>): Promise<number | null> {
      const next = async () => {
        const step = await iterator.next();
        if (!step.done) {
          rows += step.value.rows;
          bytes += step.value.bytes.byteLength;
          if (query.sendProgress) progress.push(JSON.stringify(summary(rows, bytes, started)));
        }
        return step;
      };

      if (query.waitEndOfQuery) {
        const spool = new Spool(options.spoolMemoryBytes ?? 8 << 20);
        try {
          const body = wrapBody((b) => spool.write(b), wrapping);
          for (let step = await next(); !step.done; step = await next()) await body.write(step.value.bytes);
          await body.end();
        } catch (err) {
          await spool.discard();
          if (signal.aborted) throw err;
          return fail(res, err, tag, wrapping);
        }
        try {
          res.writeHead(200, {
            ...headers,
            ...(progress.length > 0 ? { 'X-ClickHouse-Progress': progress.slice(-20) } : {}),
            'X-ClickHouse-Summary': JSON.stringify(summary(rows, bytes, started)),
            'Content-Length': spool.size,
          });
          const target = socketTarget(res, signal);
          for await (const piece of spool.read()) await target(piece);
          res.end();
        } finally {
          await spool.discard();
        }
        return null;
      }

      // The status waits for the first block, so a query that fails at once still gets its HTTP status.
      let first: IteratorResult<{ bytes: Uint8Array; rows: number }>;
      try {
        first = await next();
      } catch (err) {
        if (signal.aborted) throw err;
        return fail(res, err, tag, wrapping);
      }
      res.writeHead(200, {
        ...headers,
        ...(progress.length > 0 ? { 'X-ClickHouse-Progress': progress } : {}),
        'X-ClickHouse-Summary': JSON.stringify(summary(rows, bytes, started)),
      });
      const body = wrapBody(socketTarget(res, signal), wrapping);
      let code: number | null = null;
      try {
        for (let step = first; !step.done; step = await next()) await body.write(step.value.bytes);
      } catch (err) {
        if (signal.aborted) throw err;
        const failure = exceptionBody(err, options.version);
        code = failure.code;
        await body.write(midStreamException(failure.text, tag));
      }
      await body.end();
      res.end();
      return code;
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://clickhouse');
    const isQuery = url.searchParams.has('query') || (req.method !== 'GET' && req.method !== 'HEAD');
    if (PING.has(url.pathname) || (url.pathname === '/' && !isQuery)) {
      req.resume();
      res.writeHead(200, { ...common, 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end('Ok.\n');
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        controller.abort(new EndpointError(CODES.QUERY_WAS_CANCELLED, 'The client closed the connection'));
      }
    });
    const started = process.hrtime.bigint();
    let code: number | null = CODES.QUERY_WAS_CANCELLED;
    try {
      code = await answer(req, res, controller.signal);
    } catch (err) {
      if (!controller.signal.aborted) throw err;
      res.destroy();
    } finally {
      options.onFinished?.(code, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
