import { createTopicsWithLeaders } from '@dossier/observability';
import type { Admin } from 'kafkajs';

/**
 * Creates the topics that do not exist yet and waits for their leaders (local and test stacks; production
 * provisions its own).
 * Existing topics are left alone whatever their partition count. Returns the names created.
 */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await createTopicsWithLeaders(
    admin,
    missing.map((topic) => ({ topic, numPartitions: partitions })),
  );
  return missing;
}
