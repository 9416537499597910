import { Transform, type TransformCallback } from 'node:stream';
import {
  constants,
  createBrotliCompress,
  createBrotliDecompress,
  createDeflate,
  createGunzip,
  createGzip,
  createInflate,
} from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { Decompress as ZstdDecompress } from 'fzstd';
import { compressFrameSync, decompressFrameSync, compressSync as lz4Compress } from 'lz4-napi';
import { CODES, EndpointError } from './errors.ts';

/** HTTP Content-Encodings this server reads and writes, in ClickHouse's order of preference. */
export const HTTP_ENCODINGS = ['gzip', 'deflate', 'zstd', 'br', 'lz4'] as const;
export type HttpEncoding = (typeof HTTP_ENCODINGS)[number];

const zstdReady = zstdInit();

/** The encoding of a response: only with enable_http_compression=1, as ClickHouse does. */
export function chooseResponseEncoding(acceptEncoding: string | undefined): HttpEncoding | null {
  const offered = (acceptEncoding ?? '')
    .toLowerCase()
    .split(',')
    .map((part) => part.split(';'))
    .filter(([, q]) => q === undefined || !/^\s*q=0(\.0*)?\s*$/.test(q))
    .map(([name]) => name?.trim());
  return HTTP_ENCODINGS.find((e) => offered.includes(e)) ?? null;
}

/** The request body's Content-Encoding, or null for none; anything else is refused with code 89. */
export function requestEncoding(header: string | undefined): HttpEncoding | null {
  const name = (header ?? '').toLowerCase().trim();
  if (name === '' || name === 'identity') return null;
  const alias = name === 'x-gzip' ? 'gzip' : name;
  const known = HTTP_ENCODINGS.find((e) => e === alias);
  if (!known) {
    throw new EndpointError(
      CODES.UNKNOWN_COMPRESSION_METHOD,
      `Unknown HTTP Content-Encoding '${name.slice(0, 40)}'; supported: ${HTTP_ENCODINGS.join(', ')}`,
    );
  }
  return known;
}

class ZstdDecoder extends Transform {
  private readonly inner = new ZstdDecompress((chunk) => this.push(Buffer.from(chunk)));
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    try {
      this.inner.push(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.inner.push(new Uint8Array(0), true);
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

/** LZ4 frames are decoded whole: request bodies are small (query text) or bounded by the caller. */
class Lz4Decoder extends Transform {
  private readonly chunks: Buffer[] = [];
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    done();
  }
  override _flush(done: TransformCallback): void {
    try {
      this.push(decompressFrameSync(Buffer.concat(this.chunks)));
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

export function createDecoder(encoding: HttpEncoding): Transform {
  switch (encoding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    case 'zstd':
      return new ZstdDecoder();
    case 'lz4':
      return new Lz4Decoder();
  }
}

/** One zstd frame per chunk: concatenated frames are one valid zstd stream. */
class ZstdEncoder extends Transform {
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    zstdReady.then(
      () => done(null, Buffer.from(zstdCompress(chunk, 3))),
      (err: unknown) => done(err as Error),
    );
  }
}

// The frame header for independent 4 MiB blocks without checksums, taken from lz4-napi's own frames
// so its header checksum is the library's.
const LZ4_FRAME_HEADER = compressFrameSync(Buffer.alloc(300_000)).subarray(0, 7);
const LZ4_BLOCK_MAX = 4 << 20;

/** One LZ4 frame over the whole stream, each chunk an independent block. */
class Lz4Encoder extends Transform {
  private started = false;
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    if (!this.started) {
      this.started = true;
      this.push(Buffer.from(LZ4_FRAME_HEADER));
    }
    for (let at = 0; at < chunk.length; at += LZ4_BLOCK_MAX) {
      const part = chunk.subarray(at, Math.min(at + LZ4_BLOCK_MAX, chunk.length));
      const packed = lz4Compress(part).subarray(4);
      const stored = packed.length >= part.length;
      const size = Buffer.alloc(4);
      size.writeUInt32LE((stored ? part.length : packed.length) + (stored ? 0x80000000 : 0), 0);
      this.push(size);
      this.push(stored ? part : packed);
    }
    done();
  }
  override _flush(done: TransformCallback): void {
    if (!this.started) this.push(Buffer.from(LZ4_FRAME_HEADER));
    done(null, Buffer.alloc(4));
  }
}

export function createEncoder(encoding: HttpEncoding, level?: number): Transform {
  switch (encoding) {
    case 'gzip':
      return createGzip({ level: level ?? 3 });
    case 'deflate':
      return createDeflate({ level: level ?? 3 });
    case 'br':
      return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: level ?? 4 } });
    case 'zstd':
      return new ZstdEncoder();
    case 'lz4':
      return new Lz4Encoder();
  }
}
