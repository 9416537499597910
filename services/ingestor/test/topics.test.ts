import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics } from '../src/topics.ts';

type Metadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>;

/** An admin that knows `existing`, creates what it is asked, and answers metadata once with an error first. */
function fakeAdmin(existing: string[]) {
  const asked = { created: [] as Parameters<Admin['createTopics']>[0][], metadata: 0 };
  const admin = {
    listTopics: async () => existing,
    async createTopics(options: Parameters<Admin['createTopics']>[0]) {
      asked.created.push(options);
      return true;
    },
    async fetchTopicMetadata({ topics }: { topics?: string[] } = {}): Promise<Metadata> {
      asked.metadata += 1;
      // What a loaded broker answers for a topic created a moment ago: kafkajs's own wait gives up on it.
      if (asked.metadata === 1) throw new Error('This server does not host this topic-partition');
      const led = [0, 1].map((partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 1,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
      }));
      return { topics: (topics ?? []).map((name) => ({ name, partitions: led })) };
    },
    // The leaders then answer for both partitions (waitForTopicLeaders asks before returning).
    fetchTopicOffsets: async () =>
      [0, 1].map((partition) => ({ partition, offset: '0', high: '0', low: '0' })),
  };
  return { admin: admin as unknown as Admin, asked };
}

describe('ensureTopics', () => {
  it('creates only the missing topics and waits for their leaders itself, through a "does not host" answer', async () => {
    const { admin, asked } = fakeAdmin(['events']);
    expect(await ensureTopics(admin, ['events', 'dlq', 'dlq'], 2)).toEqual(['dlq']);
    expect(asked.created).toEqual([{ topics: [{ topic: 'dlq', numPartitions: 2 }], waitForLeaders: false }]);
    expect(asked.metadata).toBe(2);
  });

  it('asks nothing when every topic exists', async () => {
    const { admin, asked } = fakeAdmin(['events', 'dlq']);
    expect(await ensureTopics(admin, ['events', 'dlq'], 2)).toEqual([]);
    expect(asked).toEqual({ created: [], metadata: 0 });
  });
});
