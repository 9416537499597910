import { describe, expect, it } from 'vitest';
import { checksumBytes } from '../src/cityhash102.ts';
import {
  decodeBlocks,
  encodeBlock,
  encodeBlocks,
  MAX_BLOCK_BYTES,
  METHOD,
} from '../src/compressed-blocks.ts';
import { EndpointError } from '../src/errors.ts';

async function decodeAll(parts: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of decodeBlocks(
    (async function* () {
      yield* parts;
    })(),
  ))
    out.push(piece);
  return Buffer.concat(out);
}

async function failure(parts: Buffer[]): Promise<EndpointError> {
  const err = await decodeAll(parts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EndpointError);
  return err as EndpointError;
}

/** A block with the given method byte and payload, checksummed. */
function rawBlock(method: number, payload: Buffer, size: number): Buffer {
  const body = Buffer.alloc(9 + payload.length);
  body[0] = method;
  body.writeUInt32LE(9 + payload.length, 1);
  body.writeUInt32LE(size, 5);
  payload.copy(body, 9);
  return Buffer.concat([checksumBytes(body), body]);
}

describe('ClickHouse compressed-block framing', () => {
  const text = Buffer.from('number\tname\n'.repeat(50_000));

  it('frames LZ4 blocks of at most 1 MiB with header, sizes and checksum', () => {
    const blocks = [...encodeBlocks(Buffer.concat([text, text]))];
    expect(blocks.length).toBe(Math.ceil((text.length * 2) / MAX_BLOCK_BYTES));
    const first = blocks[0] as Buffer;
    expect(first[16]).toBe(METHOD.LZ4);
    expect(first.readUInt32LE(17)).toBe(first.length - 16);
    expect(first.readUInt32LE(21)).toBe(MAX_BLOCK_BYTES);
    expect(checksumBytes(first.subarray(16)).equals(first.subarray(0, 16))).toBe(true);
  });

  it('reads back what it wrote, whatever the chunking of the body', async () => {
    const framed = Buffer.concat([...encodeBlocks(text), encodeBlock(Buffer.from('tail'))]);
    const pieces = [framed.subarray(0, 7), framed.subarray(7, 40), framed.subarray(40)];
    expect((await decodeAll(pieces)).equals(Buffer.concat([text, Buffer.from('tail')]))).toBe(true);
  });

  it('reads uncompressed (NONE) blocks', async () => {
    expect((await decodeAll([rawBlock(METHOD.NONE, Buffer.from('abc'), 3)])).toString()).toBe('abc');
  });

  it('refuses a corrupted block, an unknown method and a truncated body with ClickHouse codes', async () => {
    const block = encodeBlock(text);
    const corrupt = Buffer.from(block);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    expect((await failure([corrupt])).code).toBe(40);
    expect((await failure([rawBlock(0x91, Buffer.from('x'), 1)])).code).toBe(89);
    expect((await failure([block.subarray(0, block.length - 1)])).code).toBe(271);
  });
});
