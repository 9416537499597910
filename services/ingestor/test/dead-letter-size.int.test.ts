// Issue #13: large hostile messages used to stall every partition. The dead-letter producer sent a
// batch's letters in one request, the broker answered MESSAGE_TOO_LARGE (not retriable) and the batch
// was retried from the start forever. Against the real broker, with the dead-letter topic's own limit.
import { randomBytes } from 'node:crypto';
import { DLQ_HEADERS } from '@dossier/dead-letters';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submittedEvents, toMessage } from './factories.ts';
import { createHarness, type Harness } from './harness.ts';

const TOPIC_LIMIT = 300_000;

/** Bytes that are not JSON (and not UTF-8), `size` long. */
function garbage(size: number): Buffer {
  const bytes = randomBytes(size);
  bytes[0] = 0xff;
  return bytes;
}

describe('dead letters larger than one request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
    await h.admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: h.config.TOPIC_DEAD_LETTER,
          configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_LIMIT) }],
        },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('splits letters into requests the topic accepts and sends a reference for a letter it never could', async () => {
    const valid = submittedEvents(40).map(toMessage);
    // 12 letters of ~120 KB: any three together exceed the topic's limit, each alone fits.
    const large = Array.from({ length: 12 }, (_, i) => ({ key: `bad-${i}`, value: garbage(120_000) }));
    // Larger than the topic allows on its own (but under the ingestor's 1 MiB input cap).
    const huge = { key: 'huge', value: garbage(500_000) };
    const mixed = valid.flatMap((m, i) => (i % 3 === 0 && large[i / 3] ? [m, large[i / 3]!] : [m]));
    mixed.splice(20, 0, huge);
    // One request per few messages: the producer's own request must stay under the broker's limits too.
    for (let i = 0; i < mixed.length; i += 4) await h.produce(h.config.TOPIC_EVENTS, mixed.slice(i, i + 4));
    await h.start();
    await h.waitCaughtUp('the partition moved past the large dead letters');

    expect(await h.eventCount()).toBe(valid.length);
    expect(await h.count('SELECT count() AS n FROM dead_letters_v2 FINAL')).toBe(large.length + 1);
    expect(
      await h.count(
        `SELECT count() AS n FROM dead_letters_v2 FINAL WHERE topic_record = 'reference' AND value_bytes = 500000`,
      ),
    ).toBe(1);

    // The topic holds a copy of each letter that fits and a small reference for the one that does not.
    const seen = await readTopic(h, h.config.TOPIC_DEAD_LETTER, large.length + 1);
    const copies = seen.filter((m) => m.headers[DLQ_HEADERS.payload] === 'copy');
    const references = seen.filter((m) => m.headers[DLQ_HEADERS.payload] === 'reference');
    expect(copies.map((m) => m.valueBytes).sort()).toEqual(large.map(() => 120_000));
    expect(references).toHaveLength(1);
    const reference = JSON.parse(references[0]?.value ?? '{}');
    expect(reference).toMatchObject({
      table: 'dead_letters_v2',
      source_topic: h.config.TOPIC_EVENTS,
      source_partition: 0,
      reason_code: 'invalid_encoding',
      value_bytes: 500_000,
    });
    expect(references[0]?.valueBytes).toBeLessThan(2_000);
  });
});

interface SeenMessage {
  headers: Record<string, string>;
  value: string;
  valueBytes: number;
}

async function readTopic(h: Harness, topic: string, expected: number): Promise<SeenMessage[]> {
  const consumer = h.kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const seen: SeenMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${seen.length} of ${expected} messages`)),
        60_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            seen.push({
              headers,
              value: message.value?.toString('utf8') ?? '',
              valueBytes: message.value?.length ?? 0,
            });
            if (seen.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
