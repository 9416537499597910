import type { KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../src/letter.ts';
import { isRecordRefusal, sendToDeadLetterTopic } from '../src/send.ts';

function letter(offset: number, bytes: number): DeadLetter {
  const message: KafkaMessage = {
    key: Buffer.from(`k${offset}`),
    value: Buffer.alloc(bytes, 1),
    offset: String(offset),
    timestamp: '1700000000000',
    attributes: 0,
    headers: {},
  };
  return { topic: 'in', partition: 0, message, rejection: { code: 'invalid_json', reason: 'not JSON' } };
}

function tooLarge(): Error {
  return Object.assign(new Error('too large'), {
    name: 'KafkaJSProtocolError',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
  });
}

/** A broker that refuses any request whose values add up to more than `limit` bytes. */
function broker(limit: number, refuse: (m: Message) => boolean = () => false) {
  const requests: Message[][] = [];
  return {
    requests,
    producer: {
      send: async ({ messages }: { messages: Message[] }) => {
        const size = messages.reduce((n, m) => n + ((m.value as Buffer | string | null)?.length ?? 0), 0);
        if (size > limit || messages.some(refuse)) throw tooLarge();
        requests.push(messages);
        return [];
      },
    },
  };
}

describe('sending dead letters to their topic', () => {
  it('packs letters into requests under the limit, in order', async () => {
    // Each letter is ~650 bytes in a record batch (value, key, and the dlq-* headers): two per request.
    const b = broker(1_700);
    const letters = [300, 300, 300, 300, 300].map((n, i) => letter(i, n));
    const outcomes = await sendToDeadLetterTopic(
      { producer: b.producer, topic: 'dlq', limit: () => ({ maxBatchBytes: 1_700, source: 'test' }) },
      letters,
    );
    expect(outcomes.map((o) => o.record)).toEqual(['copy', 'copy', 'copy', 'copy', 'copy']);
    expect(b.requests.map((r) => r.length)).toEqual([2, 2, 1]);
  });

  it('sends a reference for a letter larger than the topic allows', async () => {
    const b = broker(1_000);
    const outcomes = await sendToDeadLetterTopic(
      { producer: b.producer, topic: 'dlq', limit: () => ({ maxBatchBytes: 1_000, source: 'test' }) },
      [letter(0, 100), letter(1, 5_000), letter(2, 100)],
    );
    expect(outcomes.map((o) => o.record)).toEqual(['copy', 'reference', 'copy']);
    expect(outcomes[1]?.note).toMatch(/exceed the topic's limit of 1000/);
    const reference = b.requests.flat().find((m) => String(m.value).includes('dead_letters_v2'));
    expect(JSON.parse(String(reference?.value))).toMatchObject({ source_offset: '1', value_bytes: 5_000 });
  });

  it('splits a refused request, reads the limit again, and passes a letter refused even as a reference', async () => {
    let refreshes = 0;
    // The limit read at start is too generous: the broker refuses what the estimate let through.
    const b = broker(700, (m) => m.key === null && String(m.value).includes('"source_offset":"3"'));
    const outcomes = await sendToDeadLetterTopic(
      {
        producer: b.producer,
        topic: 'dlq',
        limit: () => ({ maxBatchBytes: 10_000, source: 'test' }),
        refresh: async () => {
          refreshes += 1;
        },
      },
      [letter(0, 300), letter(1, 300), letter(2, 300), letter(3, 800)],
    );
    expect(refreshes).toBe(1);
    expect(outcomes.map((o) => o.record)).toEqual(['copy', 'copy', 'copy', 'none']);
    expect(outcomes[3]?.note).toMatch(/MESSAGE_TOO_LARGE/);
  });

  it('throws what is not a refusal of the records, for the caller to retry', async () => {
    const down = Object.assign(new Error('down'), { name: 'KafkaJSConnectionError' });
    await expect(
      sendToDeadLetterTopic(
        {
          producer: { send: () => Promise.reject(down) },
          topic: 'dlq',
          limit: () => ({ maxBatchBytes: 1_000, source: 'test' }),
        },
        [letter(0, 10)],
      ),
    ).rejects.toBe(down);
    expect(isRecordRefusal(down)).toBe(false);
    expect(isRecordRefusal(Object.assign(new Error('wrapped'), { cause: tooLarge() }))).toBe(true);
  });
});
