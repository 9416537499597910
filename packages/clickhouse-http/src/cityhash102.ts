/**
 * CityHash128 as of CityHash 1.0.2, the version ClickHouse froze for the checksums of its compressed
 * blocks (later CityHash releases hash differently). Written from the published algorithm and checked
 * against blocks the embedded engine wrote itself (cityhash102.test.ts).
 */
const MASK = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const KMUL = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const add = (a: bigint, b: bigint) => (a + b) & MASK;
const rotate = (v: bigint, shift: bigint) =>
  shift === 0n ? v : ((v >> shift) | (v << (64n - shift))) & MASK;
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, KMUL);
  a ^= a >> 47n;
  let b = mul(v ^ a, KMUL);
  b ^= b >> 47n;
  return mul(b, KMUL);
}

/** The 128-bit result as ClickHouse stores it: low 64 bits first. */
export interface Hash128 {
  low: bigint;
  high: bigint;
}

class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u64(at: number): bigint {
    return this.view.getBigUint64(at, true);
  }
  u32(at: number): bigint {
    return BigInt(this.view.getUint32(at, true));
  }
  u8(at: number): bigint {
    return BigInt(this.bytes[at] ?? 0);
  }
}

function hashLen0to16(r: Reader, s: number, len: number): bigint {
  const n = BigInt(len);
  if (len > 8) {
    const a = r.u64(s);
    const b = r.u64(s + len - 8);
    // RotateByAtLeast1: len is at least 9 here.
    return hashLen16(a, rotate(add(b, n), n)) ^ b;
  }
  if (len >= 4) {
    const a = r.u32(s);
    return hashLen16(add(n, a << 3n), r.u32(s + len - 4));
  }
  if (len > 0) {
    const y = (r.u8(s) + (r.u8(s + (len >> 1)) << 8n)) & 0xffffffffn;
    const z = (n + (r.u8(s + len - 1) << 2n)) & 0xffffffffn;
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
  }
  return K2;
}

function cityMurmur(r: Reader, start: number, len: number, seedLow: bigint, seedHigh: bigint): Hash128 {
  let a = seedLow;
  let b = seedHigh;
  let c: bigint;
  let d: bigint;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, K1)), K1);
    c = add(mul(b, K1), hashLen0to16(r, start, len));
    d = shiftMix(add(a, len >= 8 ? r.u64(start) : c));
  } else {
    c = hashLen16(add(r.u64(start + len - 8), K1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, r.u64(start + len - 16)));
    a = add(a, d);
    let s = start;
    do {
      a ^= mul(shiftMix(mul(r.u64(s), K1)), K1);
      a = mul(a, K1);
      b ^= a;
      c ^= mul(shiftMix(mul(r.u64(s + 8), K1)), K1);
      c = mul(c, K1);
      d ^= c;
      s += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return { low: a ^ b, high: hashLen16(b, a) };
}

function weakHashLen32WithSeeds(r: Reader, s: number, seedA: bigint, seedB: bigint): [bigint, bigint] {
  const w = r.u64(s);
  const x = r.u64(s + 8);
  const y = r.u64(s + 16);
  const z = r.u64(s + 24);
  let a = add(seedA, w);
  let b = rotate(add(add(seedB, a), z), 21n);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotate(a, 44n));
  return [add(a, z), add(b, c)];
}

function cityHash128WithSeed(
  r: Reader,
  start: number,
  length: number,
  seedLow: bigint,
  seedHigh: bigint,
): Hash128 {
  if (length < 128) return cityMurmur(r, start, length, seedLow, seedHigh);
  let len = length;
  let s = start;
  let x = seedLow;
  let y = seedHigh;
  let z = mul(BigInt(len), K1);
  let v0 = add(mul(rotate(y ^ K1, 49n), K1), r.u64(s));
  let v1 = add(mul(rotate(v0, 42n), K1), r.u64(s + 8));
  let w0 = add(mul(rotate(add(y, z), 35n), K1), x);
  let w1 = mul(rotate(add(x, r.u64(s + 88)), 53n), K1);
  const round = () => {
    x = mul(rotate(add(add(add(x, y), v0), r.u64(s + 16)), 37n), K1);
    y = mul(rotate(add(add(y, v1), r.u64(s + 48)), 42n), K1);
    x ^= w1;
    y ^= v0;
    z = rotate(z ^ w0, 33n);
    [v0, v1] = weakHashLen32WithSeeds(r, s, mul(v1, K1), add(x, w0));
    [w0, w1] = weakHashLen32WithSeeds(r, s + 32, add(z, w1), y);
    [z, x] = [x, z];
    s += 64;
  };
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w0, 37n), K0), z));
  x = add(x, mul(rotate(add(v0, z), 49n), K0));
  for (let done = 0; done < len; ) {
    done += 32;
    y = add(mul(rotate((y - x) & MASK, 42n), K0), v1);
    w0 = add(w0, r.u64(s + len - done + 16));
    x = add(mul(rotate(x, 49n), K0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakHashLen32WithSeeds(r, s + len - done, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return { low: add(hashLen16(add(x, v1), w1), y), high: hashLen16(add(x, w1), add(y, v1)) };
}

export function cityHash128(bytes: Uint8Array): Hash128 {
  const r = new Reader(bytes);
  const len = bytes.length;
  if (len >= 16) return cityHash128WithSeed(r, 16, len - 16, r.u64(0) ^ K3, r.u64(8));
  if (len >= 8) {
    const n = BigInt(len);
    return cityHash128WithSeed(r, 0, 0, r.u64(0) ^ mul(n, K0), r.u64(len - 8) ^ K1);
  }
  return cityHash128WithSeed(r, 0, len, K0, K1);
}

/** The 16 checksum bytes of a compressed block: low then high half, little-endian. */
export function checksumBytes(bytes: Uint8Array): Buffer {
  const { low, high } = cityHash128(bytes);
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(low, 0);
  out.writeBigUInt64LE(high, 8);
  return out;
}
