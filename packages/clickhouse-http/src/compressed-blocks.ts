import { decompress as zstdDecompress } from 'fzstd';
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { checksumBytes } from './cityhash102.ts';
import { CODES, EndpointError } from './errors.ts';

/**
 * ClickHouse's own compressed-block framing (`compress=1` responses, `decompress=1` request bodies):
 * a CityHash128 (1.0.2) checksum of what follows, one method byte, the compressed size including
 * the 9-byte header and the uncompressed size (both UInt32 LE), then the compressed data.
 */
export const METHOD = { NONE: 0x02, LZ4: 0x82, ZSTD: 0x90 } as const;
const HEADER = 9;
const CHECKSUM = 16;
/** ClickHouse compresses what it buffered, 1 MiB at most (DBMS_DEFAULT_BUFFER_SIZE). */
export const MAX_BLOCK_BYTES = 1 << 20;
/** A block larger than this is refused before its bytes are read (ClickHouse's own bound is 1 GiB). */
const MAX_COMPRESSED_BYTES = 1 << 30;

/** One framed block of `data`, LZ4-compressed as ClickHouse's default codec does. */
export function encodeBlock(data: Uint8Array): Buffer {
  const compressed = lz4Compress(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).subarray(4);
  const block = Buffer.allocUnsafe(CHECKSUM + HEADER + compressed.length);
  block[CHECKSUM] = METHOD.LZ4;
  block.writeUInt32LE(HEADER + compressed.length, CHECKSUM + 1);
  block.writeUInt32LE(data.byteLength, CHECKSUM + 5);
  compressed.copy(block, CHECKSUM + HEADER);
  checksumBytes(block.subarray(CHECKSUM)).copy(block, 0);
  return block;
}

/** Frames a byte stream: one block per MAX_BLOCK_BYTES of input, never an empty one. */
export function* encodeBlocks(data: Uint8Array): Generator<Buffer> {
  for (let at = 0; at < data.byteLength; at += MAX_BLOCK_BYTES) {
    yield encodeBlock(data.subarray(at, Math.min(at + MAX_BLOCK_BYTES, data.byteLength)));
  }
}

function decodeOne(block: Buffer): Buffer {
  const method = block[CHECKSUM];
  const compressedSize = block.readUInt32LE(CHECKSUM + 1);
  const size = block.readUInt32LE(CHECKSUM + 5);
  const payload = block.subarray(CHECKSUM + HEADER, CHECKSUM + compressedSize);
  if (
    !checksumBytes(block.subarray(CHECKSUM, CHECKSUM + compressedSize)).equals(block.subarray(0, CHECKSUM))
  ) {
    throw new EndpointError(
      CODES.CHECKSUM_DOESNT_MATCH,
      "Checksum doesn't match: corrupted data. Reference: the block sent with decompress=1",
    );
  }
  try {
    if (method === METHOD.NONE) return Buffer.from(payload);
    if (method === METHOD.LZ4) {
      const sized = Buffer.allocUnsafe(4 + payload.length);
      sized.writeUInt32LE(size, 0);
      payload.copy(sized, 4);
      return lz4Uncompress(sized);
    }
    if (method === METHOD.ZSTD) return Buffer.from(zstdDecompress(payload, new Uint8Array(size)));
  } catch {
    throw new EndpointError(
      CODES.CANNOT_DECOMPRESS,
      `Cannot decompress a block of method 0x${method?.toString(16)}`,
    );
  }
  throw new EndpointError(
    CODES.UNKNOWN_COMPRESSION_METHOD,
    `Unknown compression method 0x${method?.toString(16)} of a block; this server reads NONE, LZ4 and ZSTD`,
  );
}

/** Unframes a request body sent with `decompress=1`, refusing a corrupt or truncated block. */
export async function* decodeBlocks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= CHECKSUM + HEADER) {
      const compressedSize = pending.readUInt32LE(CHECKSUM + 1);
      if (compressedSize < HEADER || compressedSize > MAX_COMPRESSED_BYTES) {
        throw new EndpointError(CODES.CANNOT_DECOMPRESS, `Invalid compressed block size ${compressedSize}`);
      }
      if (pending.length < CHECKSUM + compressedSize) break;
      yield decodeOne(pending.subarray(0, CHECKSUM + compressedSize));
      pending = pending.subarray(CHECKSUM + compressedSize);
    }
  }
  if (pending.length > 0) {
    throw new EndpointError(CODES.CANNOT_DECOMPRESS, 'The compressed request body ends inside a block');
  }
}
