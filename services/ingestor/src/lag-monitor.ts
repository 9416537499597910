import type { Logger } from '@dossier/observability';
import type { Admin } from 'kafkajs';
import type { IngestorMetrics } from './metrics.ts';

export interface LagMonitor {
  /** The partitions this member owns after a (re)join; gauges of partitions it lost are removed. */
  setAssignment(assignment: Record<string, number[]>): void;
  refresh(): Promise<void>;
  /** Sum of lag over the assigned partitions at the last refresh; undefined before the first one. */
  totalLag(): number | undefined;
  start(): void;
  stop(): void;
}

/**
 * Lag = partition high watermark − the group's committed offset (or the low watermark when nothing
 * was committed yet), for this member's partitions only, so gauges of several instances add up.
 */
export function createLagMonitor(deps: {
  admin: Admin;
  groupId: string;
  metrics: IngestorMetrics;
  logger: Logger;
  intervalMs: number;
}): LagMonitor {
  let assigned: Record<string, number[]> = {};
  let total: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  async function refresh(): Promise<void> {
    let sum = 0;
    for (const [topic, partitions] of Object.entries(assigned)) {
      if (partitions.length === 0) continue;
      const [watermarks, committed] = await Promise.all([
        deps.admin.fetchTopicOffsets(topic),
        deps.admin.fetchOffsets({ groupId: deps.groupId, topics: [topic] }),
      ]);
      const committedByPartition = new Map(
        committed.flatMap((t) => t.partitions).map((p) => [p.partition, Number(p.offset)]),
      );
      for (const partition of partitions) {
        const mark = watermarks.find((w) => w.partition === partition);
        if (!mark) continue;
        const done = committedByPartition.get(partition) ?? -1;
        const lag = Math.max(0, Number(mark.high) - (done >= 0 ? done : Number(mark.low)));
        deps.metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
        sum += lag;
      }
    }
    total = sum;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      refresh()
        .catch((err) => deps.logger.warn({ err }, 'consumer lag refresh failed'))
        .finally(schedule);
    }, deps.intervalMs);
    timer.unref();
  }

  return {
    setAssignment(next) {
      for (const [topic, partitions] of Object.entries(assigned)) {
        for (const partition of partitions) {
          if (!next[topic]?.includes(partition))
            deps.metrics.consumerLag.remove({ topic, partition: String(partition) });
        }
      }
      assigned = next;
      total = undefined;
    },
    refresh,
    totalLag: () => total,
    start() {
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
  };
}
