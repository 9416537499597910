import { Queue, QueueEvents } from 'bullmq';
import type { AggregatorSettings } from './config.ts';

/**
 * Enqueues a job for the running aggregators and waits for its result. In embedded mode chDB allows one
 * process per data directory, so the running service must do the work; a command line only asks.
 */
export async function enqueueAndWait(
  config: Pick<AggregatorSettings, 'queueName' | 'prefix'> & { redisUrl: string },
  job: { name: string; data: unknown; options: Record<string, unknown>; timeoutSeconds: number },
): Promise<unknown> {
  const connection = { url: config.redisUrl };
  const queue = new Queue(config.queueName, { connection, prefix: config.prefix });
  const events = new QueueEvents(config.queueName, { connection, prefix: config.prefix });
  try {
    await events.waitUntilReady();
    const added = await queue.add(job.name, job.data, job.options);
    console.log(JSON.stringify({ msg: `${job.name} enqueued`, jobId: added.id, queue: config.queueName }));
    return await added.waitUntilFinished(events, job.timeoutSeconds * 1000);
  } finally {
    await events.close();
    await queue.close();
  }
}
