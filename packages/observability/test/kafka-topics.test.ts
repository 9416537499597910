import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createTopicsWithLeaders, waitForTopicLeaders } from '../src/kafka-topics.ts';

type Metadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>;
type Answer = Metadata | Error;

function partitions(leaders: number[]) {
  return leaders.map((leader, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader,
    replicas: [],
    isr: [],
    offlineReplicas: [],
  }));
}

/**
 * An admin whose metadata answers are scripted, the last one repeated; its offsets answers too (a number
 * of partitions answered, or an error; three partitions when none is scripted). It records what it was
 * asked.
 */
function scriptedAdmin(answers: Answer[], offsetAnswers: Array<number | Error> = [3]) {
  const calls = { metadata: 0, offsets: [] as string[], created: [] as unknown[] };
  const admin = {
    async createTopics(options: Parameters<Admin['createTopics']>[0]) {
      calls.created.push(options);
      return true;
    },
    async fetchTopicMetadata(): Promise<Metadata> {
      const answer = answers[Math.min(calls.metadata, answers.length - 1)] as Answer;
      calls.metadata += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async fetchTopicOffsets(topic: string) {
      const answer = offsetAnswers[Math.min(calls.offsets.length, offsetAnswers.length - 1)] as
        | number
        | Error;
      calls.offsets.push(topic);
      if (answer instanceof Error) throw answer;
      return Array.from({ length: answer }, (_, partition) => ({
        partition,
        offset: '0',
        high: '0',
        low: '0',
      }));
    },
  };
  return { admin, calls };
}

const notHosted = () => new Error('This server does not host this topic-partition');
const fast = { intervalMs: 1, timeoutMs: 2_000 };

describe('waitForTopicLeaders', () => {
  it('keeps polling through "does not host this topic-partition", missing partitions and leaderless ones', async () => {
    const { admin, calls } = scriptedAdmin([
      notHosted(),
      notHosted(),
      { topics: [{ name: 'a', partitions: partitions([0]) }] },
      { topics: [{ name: 'a', partitions: partitions([0, -1, 0]) }] },
      { topics: [{ name: 'a', partitions: partitions([0, 0, 0]) }] },
    ]);
    await waitForTopicLeaders(admin, [{ topic: 'a', partitions: 3 }], fast);
    expect(calls.metadata).toBe(5);
  });

  it('waits for every topic asked, not the first one answered', async () => {
    const { admin, calls } = scriptedAdmin([
      { topics: [{ name: 'a', partitions: partitions([0]) }] },
      {
        topics: [
          { name: 'a', partitions: partitions([0]) },
          { name: 'b', partitions: partitions([0]) },
        ],
      },
    ]);
    await waitForTopicLeaders(
      admin,
      [
        { topic: 'a', partitions: 1 },
        { topic: 'b', partitions: 1 },
      ],
      fast,
    );
    expect(calls.metadata).toBe(2);
  });

  it('waits until the leaders answer for their partitions, not only the metadata naming them', async () => {
    const notLeader = new Error('This server is not the leader for that topic-partition');
    const { admin, calls } = scriptedAdmin(
      [{ topics: [{ name: 'a', partitions: partitions([0, 0]) }] }],
      [notLeader, notLeader, 1, 2],
    );
    await waitForTopicLeaders(admin, [{ topic: 'a', partitions: 2 }], fast);
    expect(calls.offsets).toEqual(['a', 'a', 'a', 'a']);
    expect(calls.metadata).toBe(4);
  });

  it('gives up at the deadline naming the topics, with the last error as the cause', async () => {
    const error = notHosted();
    const { admin } = scriptedAdmin([error]);
    const waiting = waitForTopicLeaders(admin, [{ topic: 'a', partitions: 1 }], {
      intervalMs: 1,
      timeoutMs: 30,
    });
    await expect(waiting).rejects.toThrow(/Kafka topics a: no leader for every partition after 30 ms/);
    await expect(waiting).rejects.toMatchObject({ cause: error });
  });
});

describe('createTopicsWithLeaders', () => {
  it("asks kafkajs not to wait itself, then waits for each topic's partitions", async () => {
    const { admin, calls } = scriptedAdmin([
      notHosted(),
      { topics: [{ name: 'a', partitions: partitions([0, 0]) }] },
    ]);
    const created = await createTopicsWithLeaders(admin, [{ topic: 'a', numPartitions: 2 }], fast);
    expect(created).toBe(true);
    expect(calls.created).toEqual([{ topics: [{ topic: 'a', numPartitions: 2 }], waitForLeaders: false }]);
    expect(calls.metadata).toBe(2);
  });
});
