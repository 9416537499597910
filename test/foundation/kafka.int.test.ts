import type { Consumer, Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { testKafka } from '../support/kafka.ts';

describe('kafka round trip', () => {
  const { kafka, createTopics, uniqueName } = testKafka();
  const clients: Array<Producer | Consumer> = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.disconnect()));
  });

  it('creates a topic with the requested partitions', async () => {
    const topic = uniqueName('created');
    await createTopics([topic], 3);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]?.partitions).toHaveLength(3);
      // Auto-creation is off: the application must create its topics explicitly.
      await expect(admin.fetchTopicMetadata({ topics: [uniqueName('missing')] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers exactly the produced messages to a consumer group', async () => {
    const topic = uniqueName('round-trip');
    await createTopics([topic], 3);
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `message-${i}` }));
    const producer = kafka.producer();
    clients.push(producer);
    await producer.connect();
    await producer.send({ topic, messages: sent });

    const consumer = kafka.consumer({ groupId: uniqueName('group') });
    clients.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: Array<{ key: string; value: string; partition: number }> = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            received.push({ key: String(message.key), value: String(message.value), partition });
            // Every message seen once at least: a duplicate then shows in the comparison below, rather
            // than standing in for a message that has not arrived yet.
            if (new Set(received.map((m) => m.value)).size === sent.length) resolve();
          },
        })
        .catch(reject);
    });

    expect(received.map(({ key, value }) => ({ key, value })).sort(byValue)).toEqual([...sent].sort(byValue));
    // Same key, same partition: per-dossier ordering relies on it.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const m of received)
      partitionsByKey.set(m.key, (partitionsByKey.get(m.key) ?? new Set()).add(m.partition));
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
  });
});

function byValue(a: { value: string }, b: { value: string }): number {
  return a.value.localeCompare(b.value);
}
