// Kafka side of the hostile-input scenario: sending the planned messages within the input topics' size
// limit, and reading how far the ingestor's group has committed.
import type { Kafka, Message } from 'kafkajs';
import type { PlannedMessage } from './hostile-messages.ts';

/** Header carrying a planned message's id, so a dead letter can be matched to what was sent. */
export const SCENARIO_HEADER = 'x-scenario-id';

/** Sends in requests the input topics accept (2 MB per batch): big messages travel in small groups. */
export async function produce(
  kafka: Kafka,
  topics: Record<'events' | 'dvcqg', string>,
  messages: PlannedMessage[],
) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    let group: { topic: string; messages: Message[] }[] = [];
    let bytes = 0;
    let count = 0;
    const flush = async () => {
      if (count > 0) await producer.sendBatch({ topicMessages: group, acks: -1 });
      group = [];
      bytes = 0;
      count = 0;
    };
    for (const m of messages) {
      const size = m.value.length + 200;
      if (count > 0 && (bytes + size > 1_500_000 || count >= 2_000)) await flush();
      const topic = topics[m.topic];
      let entry = group.find((g) => g.topic === topic);
      if (!entry) {
        entry = { topic, messages: [] };
        group.push(entry);
      }
      entry.messages.push({ key: m.key, value: m.value, headers: { [SCENARIO_HEADER]: m.id } });
      bytes += size;
      count += 1;
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
}

/** Partitions not yet committed to their end, and the sum of committed offsets (progress). */
export async function committedProgress(
  kafka: Kafka,
  groupId: string,
  topics: string[],
): Promise<{ behind: number; committed: number }> {
  const admin = kafka.admin();
  await admin.connect();
  let behind = 0;
  let total = 0;
  try {
    for (const topic of topics) {
      const [marks, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map(
        committed.flatMap((t) => t.partitions).map((p) => [p.partition, Number(p.offset)]),
      );
      for (const mark of marks) {
        const at = Math.max(0, done.get(mark.partition) ?? 0);
        total += at;
        if (Number(mark.high) > at) behind += 1;
      }
    }
    return { behind, committed: total };
  } finally {
    await admin.disconnect();
  }
}
