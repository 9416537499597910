import { randomBytes } from 'node:crypto';
import { kafkaLogCreator } from '@dossier/observability';
import { type Admin, Kafka } from 'kafkajs';
import { safeInject } from './provided.ts';
import { testLogger } from './test-log.ts';

export interface TestKafka {
  brokers: string[];
  /** kafkajs client whose logs go to the test file's log (test-log.ts). */
  kafka: Kafka;
  /** Creates the topics and waits for their partition leaders; existing topics are left alone. */
  createTopics(names: string[], partitions?: number): Promise<void>;
  /** A topic / group / client id no other test or run uses: `<prefix>-<pid>-<random>`. */
  uniqueName(prefix: string): string;
}

/** Kafka for an integration test: the broker global setup provided (or `KAFKA_BROKERS`). */
export function testKafka(): TestKafka {
  const brokers = testKafkaBrokers();
  const kafka = new Kafka({
    clientId: uniqueName('test'),
    brokers,
    logCreator: kafkaLogCreator(testLogger('kafkajs', 'info')),
  });
  return {
    brokers,
    kafka,
    async createTopics(names, partitions = 3) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        // Not kafkajs's waitForLeaders: its metadata poll throws when the broker answers "does not host
        // this topic-partition" for a topic created a moment ago (a loaded broker; it failed CI once).
        await admin.createTopics({
          topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
          waitForLeaders: false,
        });
        await waitForLeaders(admin, names);
      } finally {
        await admin.disconnect();
      }
    },
    uniqueName,
  };
}

export function testKafkaBrokers(): string[] {
  const provided = safeInject('kafkaBrokers');
  if (provided?.length) return provided;
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) return fromEnv.split(',').map((b) => b.trim());
  throw new Error('no Kafka for this test: run it in the integration project or set KAFKA_BROKERS');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Polls the topics' metadata until every partition of each has a leader (at most 60 s). */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics });
      const led = described.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (described.length === topics.length && led) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
