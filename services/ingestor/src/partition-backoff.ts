import { type BackoffOptions, backoffDelay } from './backoff.ts';

export interface PartitionBackoff {
  /** Pauses the partition (via kafkajs's batch `pause`) and resumes it after the next backoff step. */
  failed(topic: string, partition: number, pause: () => () => void): number;
  succeeded(topic: string, partition: number): void;
  pausedCount(): number;
  /** Cancels pending resumes (shutdown): a stopping consumer must not start new fetches. */
  stop(): void;
}

/**
 * Per-partition retry state. Pausing rather than sleeping inside eachBatch keeps the fetch loop (and
 * so group heartbeats and the other partitions) running while one partition waits; after resume
 * kafkajs fetches again from the last resolved offset, which is the retry.
 */
export function createPartitionBackoff(
  options: BackoffOptions & { onChange?: (pausedCount: number) => void },
): PartitionBackoff {
  const attempts = new Map<string, number>();
  const timers = new Map<string, { timer: NodeJS.Timeout; resume: () => void }>();
  const changed = () => options.onChange?.(timers.size);
  return {
    failed(topic, partition, pause) {
      const key = `${topic}:${partition}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const delay = backoffDelay(attempt, options);
      const previous = timers.get(key);
      if (previous) clearTimeout(previous.timer);
      const resume = pause();
      const timer = setTimeout(() => {
        timers.delete(key);
        changed();
        resume();
      }, delay);
      timers.set(key, { timer, resume });
      changed();
      return delay;
    },
    succeeded(topic, partition) {
      attempts.delete(`${topic}:${partition}`);
    },
    pausedCount: () => timers.size,
    stop() {
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
      changed();
    },
  };
}
