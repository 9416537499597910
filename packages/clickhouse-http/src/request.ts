import type { IncomingMessage } from 'node:http';
import { decodeBlocks } from './compressed-blocks.ts';
import { chooseResponseEncoding, createDecoder, type HttpEncoding, requestEncoding } from './encodings.ts';
import { CODES, EndpointError } from './errors.ts';

/** A query as ClickHouse's HTTP interface receives it, before any policy is applied. */
export interface HttpQuery {
  /** `?query=` followed by the request body (decoded), as ClickHouse joins them. */
  sql: string;
  defaultFormat: string;
  database: string | undefined;
  /** `param_<name>` values as text; the engine parses them as the placeholder's type. */
  params: Record<string, string>;
  /** Every other URL parameter: settings for the engine. */
  settings: Record<string, string>;
  queryId: string | undefined;
  credentials: { user: string; password: string } | null;
  session: { id: string; timeoutS: number; check: boolean } | null;
  /** ClickHouse's own block framing of the response (`compress=1`). */
  compress: boolean;
  /** Content-Encoding of the response, when enable_http_compression=1 and the client accepts one. */
  responseEncoding: HttpEncoding | null;
  compressionLevel: number | undefined;
  /** Buffer the whole result before the headers, so an error gets a proper status (`wait_end_of_query=1`). */
  waitEndOfQuery: boolean;
  sendProgress: boolean;
}

/** URL parameters of ClickHouse's HTTP protocol that are not engine settings. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_buffer_size',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_wait_end_of_query',
  'add_http_cors_header',
  'stacktrace',
  'role',
  'client_protocol_version',
  'cancel_http_readonly_queries_on_client_close',
  'http_write_exception_in_output_format',
  'output_format_parallel_formatting',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORMAT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_SESSION_TIMEOUT_S = 3600;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const truthy = (value: string | null | undefined) => value === '1' || value === 'true';

/** The request body, Content-Encoding and `decompress=1` block framing undone, at most maxBytes. */
export async function readBody(req: IncomingMessage, url: URL, maxBytes: number): Promise<Buffer> {
  let encoding: HttpEncoding | null;
  try {
    encoding = requestEncoding(header(req, 'content-encoding'));
  } catch (err) {
    req.resume();
    throw err;
  }
  let source: AsyncIterable<Buffer> = encoding ? req.pipe(createDecoder(encoding)) : req;
  if (truthy(url.searchParams.get('decompress'))) source = decodeBlocks(source);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new EndpointError(CODES.QUERY_IS_TOO_LARGE, `Query is too large (more than ${maxBytes} bytes)`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    req.resume();
    if (err instanceof EndpointError) throw err;
    throw new EndpointError(
      CODES.CANNOT_DECOMPRESS,
      `Cannot decode the request body (${encoding ?? 'identity'}${truthy(url.searchParams.get('decompress')) ? ', decompress=1' : ''})`,
    );
  }
  return Buffer.concat(chunks);
}

function basicCredentials(value: string | undefined): { user: string; password: string } | null {
  if (!value?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? { user: decoded, password: '' }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** ClickHouse's precedence: Authorization header, then X-ClickHouse-User/Key, then URL parameters. */
function credentials(req: IncomingMessage, url: URL): HttpQuery['credentials'] {
  const basic = basicCredentials(header(req, 'authorization'));
  if (basic) return basic;
  const user = header(req, 'x-clickhouse-user') ?? url.searchParams.get('user');
  const password = header(req, 'x-clickhouse-key') ?? url.searchParams.get('password');
  return user === null && password === null ? null : { user: user ?? 'default', password: password ?? '' };
}

function session(url: URL): HttpQuery['session'] {
  const id = url.searchParams.get('session_id');
  if (id === null || id === '') return null;
  if (!SESSION_ID.test(id)) throw new EndpointError(CODES.BAD_ARGUMENTS, 'Invalid session_id');
  const timeout = url.searchParams.get('session_timeout');
  const timeoutS = timeout === null ? 60 : Number(timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 0 || timeoutS > MAX_SESSION_TIMEOUT_S) {
    throw new EndpointError(
      CODES.INVALID_SESSION_TIMEOUT,
      `Invalid session timeout: '${String(timeout).slice(0, 20)}', max: ${MAX_SESSION_TIMEOUT_S}`,
    );
  }
  return { id, timeoutS, check: truthy(url.searchParams.get('session_check')) };
}

/**
 * A query as ClickHouse's HTTP interface takes it: the text from `?query=` followed by the POST body,
 * everything else from URL parameters and headers. GET and POST only, as the interface allows.
 */
export async function readQuery(req: IncomingMessage, url: URL, maxQueryBytes: number): Promise<HttpQuery> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
    req.resume();
    throw new EndpointError(
      CODES.UNSUPPORTED_METHOD,
      `HTTP method ${method.slice(0, 10)} is not supported; use GET or POST`,
    );
  }
  const fromUrl = url.searchParams.get('query') ?? '';
  const body = method === 'POST' ? (await readBody(req, url, maxQueryBytes)).toString('utf8') : '';
  const sql = [fromUrl, body].filter((part) => part !== '').join('\n');
  if (Buffer.byteLength(sql) > maxQueryBytes) {
    throw new EndpointError(
      CODES.QUERY_IS_TOO_LARGE,
      `Query is too large (more than ${maxQueryBytes} bytes)`,
    );
  }
  if (sql.trim() === '') throw new EndpointError(CODES.BAD_ARGUMENTS, 'Empty query');

  const database = header(req, 'x-clickhouse-database') ?? url.searchParams.get('database') ?? undefined;
  if (database !== undefined && !IDENTIFIER.test(database))
    throw new EndpointError(CODES.BAD_ARGUMENTS, 'Invalid database name');
  const defaultFormat =
    header(req, 'x-clickhouse-format') ?? url.searchParams.get('default_format') ?? 'TabSeparated';
  if (!FORMAT_NAME.test(defaultFormat))
    throw new EndpointError(CODES.BAD_ARGUMENTS, 'Invalid default_format');

  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
    else if (!PROTOCOL_PARAMS.has(name)) {
      if (!IDENTIFIER.test(name))
        throw new EndpointError(CODES.UNKNOWN_SETTING, `Unknown setting '${name.slice(0, 60)}'`);
      settings[name] = value;
    }
  }
  const level = url.searchParams.get('http_zlib_compression_level');
  return {
    sql,
    defaultFormat,
    database,
    params,
    settings,
    queryId: url.searchParams.get('query_id') ?? header(req, 'x-clickhouse-query-id') ?? undefined,
    credentials: credentials(req, url),
    session: session(url),
    compress: truthy(url.searchParams.get('compress')),
    responseEncoding: truthy(url.searchParams.get('enable_http_compression'))
      ? chooseResponseEncoding(header(req, 'accept-encoding'))
      : null,
    compressionLevel: level === null || !/^\d{1,2}$/.test(level) ? undefined : Number(level),
    waitEndOfQuery: truthy(url.searchParams.get('wait_end_of_query')),
    sendProgress: truthy(url.searchParams.get('send_progress_in_http_headers')),
  };
}
