import { randomBytes } from 'node:crypto';
import { createTopicsWithLeaders, kafkaLogCreator } from '@dossier/observability';
import { Kafka } from 'kafkajs';
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
        await createTopicsWithLeaders(
          admin,
          names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        );
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
