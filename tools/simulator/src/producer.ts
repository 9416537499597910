import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
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
 * One sendBatch per call, all topics at once, uncompressed: on one machine compression costs more
 * CPU than the bytes it saves, and the backlog is CPU-bound.
 */
export async function connectProducer(kafka: Kafka, topics: TopicNames): Promise<SimProducer> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
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
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
        compression: CompressionTypes.None,
        acks: -1,
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
