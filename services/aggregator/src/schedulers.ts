import type { Logger } from '@dossier/observability';
import type { Queue } from 'bullmq';
import type { AggregatorSettings } from './config.ts';
import type { AggregatorJob } from './define-job.ts';

const KEEP = { removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } };

/**
 * Upserts one job scheduler per scheduled job (id = job name, every `AGGREGATOR_INTERVAL_SECONDS`) and removes every
 * other scheduler on the queue, so a schedule dropped from code or config stops at the next start.
 */
export async function syncSchedulers(
  queue: Queue,
  jobs: readonly AggregatorJob[],
  settings: AggregatorSettings,
  logger: Logger,
): Promise<{ upserted: string[]; removed: string[] }> {
  const wanted = settings.AGGREGATOR_INTERVAL_SECONDS > 0 ? jobs.filter((j) => j.scheduled) : [];
  for (const job of wanted) {
    await queue.upsertJobScheduler(
      job.name,
      { every: settings.AGGREGATOR_INTERVAL_SECONDS * 1000 },
      { name: job.name, data: {}, opts: { ...KEEP, attempts: 1 } },
    );
  }
  const keep = new Set(wanted.map((j) => j.name));
  const removed: string[] = [];
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    const id = scheduler.id ?? scheduler.key;
    if (keep.has(id)) continue;
    await queue.removeJobScheduler(id);
    removed.push(id);
  }
  const upserted = wanted.map((j) => j.name);
  logger.info(
    { upserted, removed, everySeconds: settings.AGGREGATOR_INTERVAL_SECONDS },
    'job schedulers synced',
  );
  return { upserted, removed };
}

/**
 * One cycle of every scheduled job `delayMs` from now, besides the schedule: the all-in-one's simulator
 * sends its first input right after the start, and the schedule's next run is a whole interval away.
 */
export async function enqueueCycleSoon(queue: Queue, jobs: readonly AggregatorJob[], delayMs: number) {
  for (const job of jobs.filter((j) => j.scheduled))
    await queue.add(job.name, {}, { ...KEEP, attempts: 1, delay: delayMs });
}

export const BACKFILL_JOB_OPTIONS = { ...KEEP, attempts: 3, backoff: { type: 'exponential', delay: 5_000 } };
