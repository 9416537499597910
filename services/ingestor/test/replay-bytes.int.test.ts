// A replayed dead letter is the original message byte for byte: key, value and headers (binary and
// repeated ones included), plus one header naming the letter. The bytes were sealed in ClickHouse.
import { deadLetterKeys, REPLAY_HEADER, replayDeadLetters } from '@dossier/dead-letters';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, waitUntil } from './harness.ts';

describe('dead-letter replay, byte for byte', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends back exactly the key, value and headers that were rejected', async () => {
    const value = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from('{"ChuHoSo":"Nguyễn Thị Ánh"}'),
    ]);
    const key = Buffer.from([0x48, 0x32, 0x39, 0x00, 0xc3]);
    const headers: IHeaders = { trace: Buffer.from([0, 255, 7]), hop: [Buffer.from('a'), Buffer.from('b')] };
    await h.start();
    await h.produce(h.config.TOPIC_DVCQG, [{ key, value, headers }]);
    await h.waitCaughtUp();
    const [stored] = await h.openedDeadLetters();
    expect(stored?.reason_code).toBe('invalid_encoding');

    const keys = deadLetterKeys(h.config.DEAD_LETTER_KEY);
    const replayed = await replayDeadLetters(
      { clickhouse: h.clickhouse, producer: h.producer, keys },
      { topic: h.config.TOPIC_DVCQG },
    );
    expect(replayed).toHaveLength(1);

    const seen: KafkaMessage[] = [];
    const consumer = h.kafka.consumer({ groupId: `${h.config.KAFKA_GROUP_ID}-reader` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [h.config.TOPIC_DVCQG], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message);
        },
      });
      await waitUntil('the original and its replay were read back', async () => seen.length >= 2);
    } finally {
      await consumer.disconnect();
    }
    const [original, replay] = seen;
    expect(replay?.key).toEqual(key);
    expect(replay?.value).toEqual(value);
    const { [REPLAY_HEADER]: replayOf, ...rest } = replay?.headers ?? {};
    expect(rest).toEqual(original?.headers);
    expect(rest).toEqual({ trace: Buffer.from([0, 255, 7]), hop: [Buffer.from('a'), Buffer.from('b')] });
    expect(String(replayOf)).toBe(`${h.config.TOPIC_DVCQG}/0/0`);
  });
});
