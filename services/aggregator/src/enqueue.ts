import { Queue, QueueEvents } from 'bullmq';
import type { AggregatorConfig } from './config.ts';

/**
 * Enqueues a job for the running aggregators and waits for its result. In embedded mode chDB allows one
 * process per data directory, so the running service must do the work; a command line only asks.
 */
export async function enqueueAndWait(
  config: Pick<AggregatorConfig, 'AGGREGATOR_QUEUE' | 'AGGREGATOR_PREFIX' | 'REDIS_URL'>,
  job: { name: string; data: unknown; options: Record<string, unknown>; timeoutSeconds: number },
): Promise<unknown> {
  const connection = { url: config.REDIS_URL };
  const queue = new Queue(config.AGGREGATOR_QUEUE, { connection, prefix: config.AGGREGATOR_PREFIX });
  const events = new QueueEvents(config.AGGREGATOR_QUEUE, { connection, prefix: config.AGGREGATOR_PREFIX });
  try {
    await events.waitUntilReady();
    const added = await queue.add(job.name, job.data, job.options);
    console.log(
      JSON.stringify({ msg: `${job.name} enqueued`, jobId: added.id, queue: config.AGGREGATOR_QUEUE }),
    );
    return await added.waitUntilFinished(events, job.timeoutSeconds * 1000);
  } finally {
    await events.close();
    await queue.close();
  }
}
