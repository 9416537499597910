import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { encodeBlocks } from './compressed-blocks.ts';
import { createEncoder, type HttpEncoding } from './encodings.ts';

/** How a response body is wrapped: ClickHouse's block framing inside, the HTTP Content-Encoding outside. */
export interface BodyWrapping {
  compress: boolean;
  encoding: HttpEncoding | null;
  level?: number | undefined;
}

export type Target = (bytes: Buffer) => Promise<void>;

/** Writes into the client's socket, waiting when it is full; rejects once the client has gone. */
export function socketTarget(res: ServerResponse, signal: AbortSignal): Target {
  return async (bytes) => {
    if (signal.aborted) throw signal.reason;
    if (!res.write(bytes)) await once(res, 'drain', { signal });
  };
}

/** A body writer applying the wrapping, with backpressure from `target`. */
export function wrapBody(target: Target, wrapping: BodyWrapping) {
  const encoder = wrapping.encoding ? createEncoder(wrapping.encoding, wrapping.level) : null;
  const pumped = encoder
    ? (async () => {
        for await (const out of encoder) await target(out as Buffer);
      })()
    : undefined;
  // A failed pump is reported by write/end; this only keeps it from being an unhandled rejection.
  pumped?.catch(() => undefined);
  const put = async (piece: Buffer) => {
    if (!encoder) return target(piece);
    if (!encoder.write(piece)) await Promise.race([once(encoder, 'drain'), pumped]);
  };
  return {
    async write(data: Uint8Array): Promise<void> {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      if (wrapping.compress) for (const block of encodeBlocks(bytes)) await put(block);
      else if (bytes.length > 0) await put(bytes);
    },
    async end(): Promise<void> {
      if (!encoder) return;
      encoder.end();
      await pumped;
    },
  };
}

/** The whole of a short body, wrapped (error texts). */
export async function wrapAll(bytes: Buffer, wrapping: BodyWrapping): Promise<Buffer> {
  const parts: Buffer[] = [];
  const body = wrapBody(async (b) => void parts.push(b), wrapping);
  await body.write(bytes);
  await body.end();
  return Buffer.concat(parts);
}

/** ClickHouse 25.11+ tags every response so a client can tell an exception written after the data. */
export function exceptionTag(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * The frame ClickHouse appends when a query fails after the status line was sent: the marker, the
 * tag, the exception text, then its length and the tag again, so a reader scanning from the end
 * finds it (as @clickhouse/client and the other official clients do).
 */
export function midStreamException(text: string, tag: string): Buffer {
  const message = text.endsWith('\n') ? text : `${text}\n`;
  return Buffer.from(
    `\r\n__exception__\r\n${tag}\r\n${message}${Buffer.byteLength(message)} ${tag}\r\n__exception__\r\n`,
  );
}

export function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv'))
    return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'json' || f === 'jsoncompact' || f === 'jsonstrings' || f === 'jsoncolumns')
    return 'application/json; charset=UTF-8';
  if (f.includes('eachrow') || f === 'ndjson' || f === 'jsonlines')
    return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('rowbinary') || f === 'native' || f === 'parquet' || f.startsWith('arrow') || f === 'orc')
    return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}
