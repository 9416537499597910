import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { packRequests, recordBytes } from '../src/index.ts';

const message = (id: number, bytes: number): Message => ({
  key: `k${id}`,
  value: Buffer.alloc(bytes, 120),
  headers: { 'dlq-replay-of': `t/0/${id}` },
});

describe('a replay packs its letters into requests the broker accepts', () => {
  it('keeps the order, fills each request up to the limit, and sends a letter larger than it alone', () => {
    const limit = 1_048_588;
    const letters = [
      message(1, 200_000),
      message(2, 200_000),
      message(3, 200_000),
      message(4, 200_000),
      message(5, 200_000),
      message(6, 200_000),
      message(7, 1_200_000),
      message(8, 10),
    ];
    const requests = packRequests(letters, limit);
    expect(requests.flat()).toEqual(letters);
    expect(requests.map((r) => r.map((m) => m.key))).toEqual([
      ['k1', 'k2', 'k3', 'k4', 'k5'],
      ['k6'],
      ['k7'],
      ['k8'],
    ]);
    for (const request of requests.filter((r) => r.length > 1))
      expect(request.reduce((sum, m) => sum + recordBytes(m), 61)).toBeLessThanOrEqual(limit);
  });

  it('puts small letters in one request, and none in none', () => {
    const small = Array.from({ length: 100 }, (_, i) => message(i, 900));
    expect(packRequests(small, 1_048_588)).toEqual([small]);
    expect(packRequests([], 1_048_588)).toEqual([]);
  });
});
