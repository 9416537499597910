import { CompressionTypes, type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { SimMessage, TopicKind } from './dialects.ts';

export type TopicNames = Record<TopicKind, string>;

export const DEFAULT_TOPICS: TopicNames = {
  events: 'dossier.events.v1',
  dvcqg: 'dossier.dvcqg-sync.v1',
  catalog: 'dossier.catalog.v1',
};

export interface SimProducer {
  send(messages: SimMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A produce request carries one record batch per partition and the broker refuses batches above
 * message.max.bytes (1 MiB by default); chunks of this many bytes per topic stay under it whatever
 * the partitioner does.
 */
const CHUNK_BYTES = 900 * 1024;

function chunks(list: { key: string; value: string }[]): { key: string; value: string }[][] {
  const out: { key: string; value: string }[][] = [];
  let current: { key: string; value: string }[] = [];
  let bytes = 0;
  for (const m of list) {
    const size = m.key.length + Buffer.byteLength(m.value) + 64;
    if (bytes + size > CHUNK_BYTES && current.length > 0) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Uncompressed: on one machine compression costs more CPU than the bytes it saves, and the backlog
 * is CPU-bound. Chunks go out concurrently; order across them does not matter (the pipeline is
 * order-independent) and within a chunk it is kept.
 */
export async function connectProducer(kafka: Kafka, topics: TopicNames): Promise<SimProducer> {
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    // kafkajs 2's default (Java-compatible murmur2), named so kafkajs does not warn about its change.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async send(messages) {
      if (messages.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const m of messages) {
        const topic = topics[m.topic];
        let list = byTopic.get(topic);
        if (!list) {
          list = [];
          byTopic.set(topic, list);
        }
        list.push({ key: m.key, value: m.value });
      }
      const requests = [...byTopic].flatMap(([topic, list]) =>
        chunks(list).map((part) => ({ topic, messages: part })),
      );
      await Promise.all(
        requests.map((request) =>
          producer.sendBatch({ topicMessages: [request], compression: CompressionTypes.None, acks: -1 }),
        ),
      );
    },
    disconnect: () => producer.disconnect(),
  };
}
