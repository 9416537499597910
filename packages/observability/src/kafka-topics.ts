import type { Admin, ITopicConfig } from 'kafkajs';

export interface TopicLeaderWait {
  /** How long to poll before giving up (default 60 s: a loaded single-node broker takes seconds). */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Creates the topics (those that exist are left alone) and waits until every partition of each has a
 * leader. Not kafkajs's `createTopics({ waitForLeaders: true })`: its wait gives up at the first metadata
 * answer "This server does not host this topic-partition", which a loaded broker sends for a topic it
 * created a moment ago (it failed the project's CI twice, through the ingestor's topic creation).
 * Returns whether any topic was created.
 */
export async function createTopicsWithLeaders(
  admin: Pick<Admin, 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>,
  topics: ITopicConfig[],
  wait: TopicLeaderWait = {},
): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  await waitForTopicLeaders(
    admin,
    topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions ?? 1 })),
    wait,
  );
  return created;
}

/**
 * Polls the topics' metadata until each has at least its expected partitions, every one with a leader,
 * then asks each leader for its partitions' offsets: the metadata can name a leader before that broker
 * serves the partition, and a producer sending then gets "This server is not the leader for that
 * topic-partition", retries the whole request and writes the partitions that had succeeded twice (the
 * project's CI saw a round trip receive duplicates). Offsets are answered by the leader only, so an
 * answer for every topic means produce requests will be accepted. Errors while polling (an unknown
 * topic, a broker between states) are retried until the deadline; the last one is the cause of the
 * timeout error.
 */
export async function waitForTopicLeaders(
  admin: Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets'>,
  expected: { topic: string; partitions: number }[],
  { timeoutMs = 60_000, intervalMs = 100 }: TopicLeaderWait = {},
): Promise<void> {
  const names = expected.map((e) => e.topic);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const byName = new Map(topics.map((t) => [t.name, t.partitions]));
      const led = expected.every(({ topic, partitions }) => {
        const found = byName.get(topic);
        return found !== undefined && found.length >= partitions && found.every((p) => p.leader >= 0);
      });
      if (led && (await servedByLeaders(admin, expected))) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `Kafka topics ${names.join(', ')}: no leader for every partition after ${timeoutMs} ms`,
        {
          cause: lastError,
        },
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether each topic's leaders answer for at least the expected partitions (throws what kafkajs throws). */
async function servedByLeaders(
  admin: Pick<Admin, 'fetchTopicOffsets'>,
  expected: { topic: string; partitions: number }[],
): Promise<boolean> {
  for (const { topic, partitions } of expected) {
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.length < partitions) return false;
  }
  return true;
}
