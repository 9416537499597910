import type { Admin, Kafka } from 'kafkajs';
import type { PartitionLag } from './registry-readers.ts';

export interface GroupLag {
  groupId: string;
  /** The group's state as the coordinator reports it (Stable, PreparingRebalance, Empty, Dead …). */
  state: string;
  /** Consumers in the group now: the ingestor instances that hold partitions. */
  members: number;
  partitions: PartitionLag[];
}

export interface GroupLagReader {
  read(): Promise<GroupLag>;
  close(): Promise<void>;
}

/**
 * The ingestors' consumer lag as Kafka itself has it, for a monitor that runs apart from them: per
 * partition of each input topic, the high watermark minus the group's committed offset (the low
 * watermark while nothing is committed). Reads within `maxAgeMs` of the last one share its answer.
 */
export function createGroupLagReader(options: {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  maxAgeMs?: number;
}): GroupLagReader {
  let admin: Promise<Admin> | undefined;
  let last: { at: number; value: Promise<GroupLag> } | undefined;
  const connect = () => {
    admin ??= (async () => {
      const client = options.kafka.admin();
      await client.connect();
      return client;
    })().catch((err: unknown) => {
      admin = undefined;
      throw err;
    });
    return admin;
  };

  async function fetchLag(): Promise<GroupLag> {
    const client = await connect();
    const [described, committed, ...watermarks] = await Promise.all([
      client.describeGroups([options.groupId]),
      client.fetchOffsets({ groupId: options.groupId, topics: [...options.topics] }),
      ...options.topics.map((topic) => client.fetchTopicOffsets(topic)),
    ]);
    const group = described.groups[0];
    const partitions: PartitionLag[] = [];
    options.topics.forEach((topic, i) => {
      const done = new Map(
        (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [
          p.partition,
          Number(p.offset),
        ]),
      );
      for (const mark of watermarks[i] ?? []) {
        const at = done.get(mark.partition) ?? -1;
        const lag = Math.max(0, Number(mark.high) - (at >= 0 ? at : Number(mark.low)));
        partitions.push({ topic, partition: mark.partition, lag });
      }
    });
    partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return {
      groupId: options.groupId,
      state: group?.state ?? 'Unknown',
      members: group?.members.length ?? 0,
      partitions,
    };
  }

  return {
    read() {
      const now = Date.now();
      if (last && now - last.at < (options.maxAgeMs ?? 2_000)) return last.value;
      const value = fetchLag();
      last = { at: now, value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
      return value;
    },
    async close() {
      const client = await admin?.catch(() => undefined);
      admin = undefined;
      await client?.disconnect();
    },
  };
}
