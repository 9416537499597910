import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Dead letters keep the original key, value and headers only sealed: AES-256-GCM under a key from
 * configuration, with the letter's source position as additional data (a sealed payload moved to
 * another row does not open). Each row names its key by id, so keys can be rotated.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 1;

export interface SealKey {
  /** First 16 hex digits of a SHA-256 of the key: names it in rows, reveals nothing of it. */
  id: string;
  secret: Buffer;
}

export interface DeadLetterKeys {
  /** New letters are sealed with this key. */
  current: SealKey;
  /** Older keys that still open rows sealed before a rotation. */
  previous: SealKey[];
}

export const KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

export function sealKey(hex: string): SealKey {
  if (!KEY_PATTERN.test(hex)) throw new Error('a dead-letter key is 64 hexadecimal digits (32 bytes)');
  const secret = Buffer.from(hex, 'hex');
  const id = createHash('sha256')
    .update('dossier-dead-letter-key\0')
    .update(secret)
    .digest('hex')
    .slice(0, 16);
  return { id, secret };
}

export function deadLetterKeys(current: string, previous: readonly string[] = []): DeadLetterKeys {
  const cur = sealKey(current);
  return { current: cur, previous: previous.map(sealKey).filter((k) => k.id !== cur.id) };
}

/** A Kafka header value as kafkajs gives it: bytes, text, or a list of either. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The original message, exactly: null stays null, repeated headers keep their order. */
export interface OriginalMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: [name: string, value: Buffer][];
}

/** kafkajs headers as an ordered list of (name, bytes), a list value becoming repeated names. */
export function headerList(headers: Record<string, HeaderValue> | undefined): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
      out.push([name, Buffer.isBuffer(one) ? one : Buffer.from(String(one), 'utf8')]);
  }
  return out;
}

/** Back to kafkajs headers; a name seen more than once becomes a list, as kafkajs reads it. */
export function headerRecord(headers: readonly [string, Buffer][]): Record<string, Buffer | Buffer[]> {
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const [name, value] of headers) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

function lengthPrefixed(bytes: Buffer | null): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes === null ? -1 : bytes.length);
  return bytes === null ? [length] : [length, bytes];
}

/** version | key | value | header count | (name, value)…, every field length-prefixed (-1: null). */
function encode(message: OriginalMessage): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(message.headers.length);
  return Buffer.concat([
    Buffer.of(FORMAT_VERSION),
    ...lengthPrefixed(message.key),
    ...lengthPrefixed(message.value),
    count,
    ...message.headers.flatMap(([name, value]) => [
      ...lengthPrefixed(Buffer.from(name, 'utf8')),
      ...lengthPrefixed(value),
    ]),
  ]);
}

function decode(bytes: Buffer): OriginalMessage {
  let at = 0;
  const take = (): Buffer | null => {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) return null;
    const out = bytes.subarray(at, at + length);
    at += length;
    return out;
  };
  if (bytes[0] !== FORMAT_VERSION) throw new Error(`unknown sealed payload format ${bytes[0]}`);
  at = 1;
  const key = take();
  const value = take();
  const count = bytes.readUInt32BE(at);
  at += 4;
  const headers: [string, Buffer][] = [];
  for (let i = 0; i < count; i += 1) {
    const name = take()?.toString('utf8') ?? '';
    headers.push([name, take() ?? Buffer.alloc(0)]);
  }
  return { key, value, headers };
}

/** base64(iv | tag | ciphertext) of the message, bound to `position` (`topic/partition/offset`). */
export function seal(key: SealKey, position: string, message: OriginalMessage): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret, iv);
  cipher.setAAD(Buffer.from(position, 'utf8'));
  const body = Buffer.concat([cipher.update(encode(message)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export class UnknownKeyError extends Error {
  override name = 'UnknownKeyError';
}

/** Opens a sealed payload with the key it names; throws when that key is not configured or it was altered. */
export function open(keys: DeadLetterKeys, keyId: string, position: string, sealed: string): OriginalMessage {
  const key = [keys.current, ...keys.previous].find((k) => k.id === keyId);
  if (!key)
    throw new UnknownKeyError(`dead-letter key ${keyId} is not configured (DEAD_LETTER_PREVIOUS_KEYS)`);
  const bytes = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key.secret, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(position, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return decode(Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]));
}

export function positionOf(topic: string, partition: number | string, offset: number | string): string {
  return `${topic}/${partition}/${offset}`;
}
