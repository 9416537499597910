import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { TopicLimit } from './send.ts';

// kafkajs's ConfigResourceTypes values; its CommonJS enum is not importable by name from ESM.
const TOPIC = 2 as ConfigResourceTypes;
const BROKER = 4 as ConfigResourceTypes;

/** Kafka's default max.message.bytes, used only when the broker's configuration cannot be read. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Room for the produce request's own fields around the record batch. */
const REQUEST_OVERHEAD = 4_096;

async function configValue(
  admin: Pick<Admin, 'describeConfigs'>,
  type: ConfigResourceTypes,
  name: string,
  config: string,
): Promise<number | undefined> {
  const result = await admin.describeConfigs({
    resources: [{ type, name, configNames: [config] }],
    includeSynonyms: false,
  });
  const entry = result.resources[0]?.configEntries.find((e) => e.configName === config);
  const value = Number(entry?.configValue);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * The largest record batch the dead-letter topic accepts: its max.message.bytes (which already falls
 * back to the broker's message.max.bytes), capped by every broker's socket.request.max.bytes and by
 * `configured` (DEAD_LETTER_MAX_MESSAGE_BYTES) when set. Read from the broker, never guessed: if the
 * configuration cannot be read (no DescribeConfigs right), the caller is told so through `source`.
 */
export async function readTopicLimit(
  admin: Pick<Admin, 'describeConfigs' | 'describeCluster'>,
  topic: string,
  configured?: number,
): Promise<TopicLimit & { readFromBroker: boolean }> {
  try {
    const topicMax = await configValue(admin, TOPIC, topic, 'max.message.bytes');
    const { brokers } = await admin.describeCluster();
    let requestMax = Number.POSITIVE_INFINITY;
    for (const broker of brokers) {
      const value = await configValue(admin, BROKER, String(broker.nodeId), 'socket.request.max.bytes');
      if (value !== undefined) requestMax = Math.min(requestMax, value - REQUEST_OVERHEAD);
    }
    const candidates: [number, string][] = [
      [topicMax ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES, `max.message.bytes of ${topic}`],
      [requestMax, 'socket.request.max.bytes of the brokers'],
      [configured ?? Number.POSITIVE_INFINITY, 'DEAD_LETTER_MAX_MESSAGE_BYTES'],
    ];
    const [maxBatchBytes, source] = candidates.reduce((a, b) => (b[0] < a[0] ? b : a));
    return { maxBatchBytes, source, readFromBroker: true };
  } catch {
    return configured === undefined
      ? {
          maxBatchBytes: KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
          source: "Kafka's default: the broker's configuration could not be read",
          readFromBroker: false,
        }
      : { maxBatchBytes: configured, source: 'DEAD_LETTER_MAX_MESSAGE_BYTES', readFromBroker: false };
  }
}
