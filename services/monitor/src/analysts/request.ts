import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import { CODES, EndpointError } from './clickhouse-errors.ts';

export interface AnalystQuery {
  sql: string;
  defaultFormat: string;
  database: string;
  /** `param_<name>` values, as text; the engine parses them as the placeholder's type. */
  params: Record<string, string>;
  /** Other URL parameters: settings for the engine, which refuses any change under readonly=1. */
  settings: Record<string, string>;
  queryId: string | undefined;
  /** Compress the response when asked twice: enable_http_compression=1 and Accept-Encoding. */
  responseEncoding: 'gzip' | 'deflate' | null;
  credentials: { user: string; password: string } | null;
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
  'add_http_cors_header',
  'stacktrace',
  'role',
  'client_protocol_version',
  'cancel_http_readonly_queries_on_client_close',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORMAT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let source: NodeJS.ReadableStream = req;
  if (encoding === 'gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding !== 'identity' && encoding !== '') {
    req.resume();
    throw new EndpointError(
      CODES.UNKNOWN_COMPRESSION_METHOD,
      `Unknown Content-Encoding: ${encoding.slice(0, 40)}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > maxBytes) {
        req.resume();
        throw new EndpointError(CODES.QUERY_IS_TOO_LARGE, `Query is too large (more than ${maxBytes} bytes)`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof EndpointError) throw err;
    throw new EndpointError(CODES.BAD_ARGUMENTS, `Cannot decompress the request body (${encoding})`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? { user: decoded, password: '' }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** ClickHouse's precedence: Authorization header, then X-ClickHouse-User/Key, then URL parameters. */
function credentials(req: IncomingMessage, url: URL): AnalystQuery['credentials'] {
  const basic = basicCredentials(header(req, 'authorization'));
  if (basic) return basic;
  const user = header(req, 'x-clickhouse-user') ?? url.searchParams.get('user');
  const password = header(req, 'x-clickhouse-key') ?? url.searchParams.get('password');
  return user === null && password === null ? null : { user: user ?? 'default', password: password ?? '' };
}

function responseEncoding(req: IncomingMessage, url: URL): AnalystQuery['responseEncoding'] {
  if (url.searchParams.get('enable_http_compression') !== '1') return null;
  const accepted = (header(req, 'accept-encoding') ?? '').toLowerCase();
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  if (/\bdeflate\b/.test(accepted)) return 'deflate';
  return null;
}

/**
 * A query as ClickHouse's HTTP interface takes it: the text from `?query=` followed by the POST
 * body, and everything else from URL parameters and headers.
 */
export async function readQuery(
  req: IncomingMessage,
  url: URL,
  maxQueryBytes: number,
): Promise<AnalystQuery> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    req.resume();
    throw new EndpointError(
      CODES.UNSUPPORTED_METHOD,
      `HTTP method ${method.slice(0, 10)} is not supported; use GET or POST`,
    );
  }
  const fromUrl = url.searchParams.get('query') ?? '';
  const body = method === 'POST' ? await readBody(req, maxQueryBytes) : '';
  const sql = [fromUrl, body].filter((part) => part !== '').join('\n');
  if (Buffer.byteLength(sql) > maxQueryBytes) {
    throw new EndpointError(
      CODES.QUERY_IS_TOO_LARGE,
      `Query is too large (more than ${maxQueryBytes} bytes)`,
    );
  }
  if (sql.trim() === '') throw new EndpointError(CODES.BAD_ARGUMENTS, 'Empty query');

  const database = header(req, 'x-clickhouse-database') ?? url.searchParams.get('database') ?? 'default';
  if (!IDENTIFIER.test(database)) throw new EndpointError(CODES.BAD_ARGUMENTS, 'Invalid database name');
  const defaultFormat =
    header(req, 'x-clickhouse-format') ?? url.searchParams.get('default_format') ?? 'TabSeparated';
  if (!FORMAT_NAME.test(defaultFormat))
    throw new EndpointError(CODES.BAD_ARGUMENTS, 'Invalid default_format');

  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) {
      params[name.slice('param_'.length)] = value;
    } else if (name === 'readonly') {
      // The endpoint is readonly=1; asking for anything else is refused the way the engine would.
      if (value !== '1')
        throw new EndpointError(CODES.READONLY, "Cannot modify 'readonly' setting in readonly mode");
    } else if (!PROTOCOL_PARAMS.has(name)) {
      if (!IDENTIFIER.test(name))
        throw new EndpointError(CODES.UNKNOWN_SETTING, `Unknown setting '${name.slice(0, 60)}'`);
      settings[name] = value;
    }
  }
  return {
    sql,
    defaultFormat,
    database,
    params,
    settings,
    queryId: url.searchParams.get('query_id') ?? header(req, 'x-clickhouse-query-id') ?? undefined,
    responseEncoding: responseEncoding(req, url),
    credentials: credentials(req, url),
  };
}
