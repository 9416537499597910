import { describe, expect, it } from 'vitest';
import { deadLetterKeys, headerList, headerRecord, open, seal, UnknownKeyError } from '../src/seal.ts';

const KEY = '11'.repeat(32);
const OLD = '22'.repeat(32);

describe('sealed dead-letter payloads', () => {
  const original = {
    key: Buffer.from('H29.105-250304-0001'),
    value: Buffer.from(JSON.stringify({ ChuHoSo: 'Nguyễn Văn An', SoGiayToChuHoSo: '079123456789' })),
    headers: [
      ['trace', Buffer.from([0, 255, 1])],
      ['trace', Buffer.from('second')],
    ] as [string, Buffer][],
  };

  it('round-trip byte for byte, null and empty kept apart, and hide the plaintext', () => {
    const keys = deadLetterKeys(KEY);
    const sealed = seal(keys.current, 't/0/5', original);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('079123456789');
    expect(open(keys, keys.current.id, 't/0/5', sealed)).toEqual(original);
    const empty = { key: null, value: Buffer.alloc(0), headers: [] };
    expect(open(keys, keys.current.id, 't/0/6', seal(keys.current, 't/0/6', empty))).toEqual(empty);
    // The same letter sealed twice differs (random IV).
    expect(seal(keys.current, 't/0/5', original)).not.toBe(sealed);
  });

  it('refuse a payload moved to another row, altered, or sealed under a key not configured', () => {
    const keys = deadLetterKeys(KEY);
    const sealed = seal(keys.current, 't/0/5', original);
    expect(() => open(keys, keys.current.id, 't/0/6', sealed)).toThrow();
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => open(keys, keys.current.id, 't/0/5', bytes.toString('base64'))).toThrow();
    const rotated = deadLetterKeys(KEY, [OLD]);
    const old = rotated.previous[0]!;
    const byOld = seal(old, 't/0/5', original);
    expect(open(rotated, old.id, 't/0/5', byOld)).toEqual(original);
    expect(() => open(keys, old.id, 't/0/5', byOld)).toThrow(UnknownKeyError);
    expect(keys.current.id).toMatch(/^[0-9a-f]{16}$/);
    expect(keys.current.id).not.toBe(old.id);
  });

  it('turn kafkajs headers into an ordered list and back', () => {
    const list = headerList({ a: 'x', b: [Buffer.from('1'), '2'], c: undefined });
    expect(list).toEqual([
      ['a', Buffer.from('x')],
      ['b', Buffer.from('1')],
      ['b', Buffer.from('2')],
    ]);
    expect(headerRecord(list)).toEqual({ a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')] });
  });
});
