import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import type { KpiLeases } from '@dossier/kpi';
import type { Logger } from '@dossier/observability';
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { AggregatorSettings } from './config.ts';
import type { AggregatorJob, JobResult } from './define-job.ts';
import { classifyError } from './errors.ts';
import type { AggregatorMetrics } from './metrics.ts';

export interface RunJobsDeps {
  jobs: readonly AggregatorJob[];
  settings: AggregatorSettings;
  clickhouse: ClickHouse;
  logger: Logger;
  metrics: AggregatorMetrics;
  connection: ConnectionOptions;
  leases?: KpiLeases;
  /** Called after every successful job (refreshes the shared watermarks' snapshot). */
  onSuccess?: (result: JobResult) => Promise<void>;
}

/** The single BullMQ processor for every job: lookup, parse, metrics, logging, error classification. */
export function createProcessor(deps: Omit<RunJobsDeps, 'connection'>) {
  const byName = new Map(deps.jobs.map((j) => [j.name, j]));
  // Taking the signal (third parameter) is what makes BullMQ hand one to the processor.
  return async (bullJob: Job, _token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const job = byName.get(bullJob.name);
    if (!job) throw new UnrecoverableError(`unknown job ${bullJob.name}`);
    const runId = randomUUID();
    const logger = deps.logger.child({ job: job.name, jobId: bullJob.id, runId });
    // Which instance took which run, when several aggregators share the queue.
    logger.debug({ attempt: bullJob.attemptsMade + 1 }, 'kpi job started');
    const endTimer = deps.metrics.runDuration.startTimer({ job: job.name });
    try {
      const result = await job.run(bullJob.data, {
        clickhouse: deps.clickhouse,
        logger,
        settings: deps.settings,
        runId,
        signal,
        leases: deps.leases,
      });
      endTimer();
      if (result.mode === 'skipped') {
        // Another run holds the next KPI generation: nothing was computed, the watermarks are not refreshed.
        deps.metrics.runs.inc({ job: job.name, outcome: 'skipped' });
        logger.info({ result }, 'kpi job skipped');
        return result;
      }
      deps.metrics.runs.inc({ job: job.name, outcome: 'ok' });
      deps.metrics.rowsWritten.inc({ job: job.name }, result.rowsWritten);
      await deps.onSuccess?.(result);
      return result;
    } catch (err) {
      endTimer();
      deps.metrics.runs.inc({ job: job.name, outcome: 'error' });
      if (signal?.aborted) {
        logger.info({ attempt: bullJob.attemptsMade + 1 }, 'kpi job abandoned at shutdown');
        throw err;
      }
      const kind = classifyError(err);
      logger.error({ err, kind, attempt: bullJob.attemptsMade + 1 }, 'kpi job failed');
      // A bad payload will never parse: fail it for good instead of retrying.
      if (kind === 'poison' && !(err instanceof UnrecoverableError))
        throw new UnrecoverableError('invalid job payload');
      throw err;
    }
  };
}

export function startWorker(deps: RunJobsDeps): Worker {
  const worker = new Worker(deps.settings.AGGREGATOR_QUEUE, createProcessor(deps), {
    connection: { ...deps.connection, maxRetriesPerRequest: null },
    prefix: deps.settings.AGGREGATOR_PREFIX,
    // One job at a time per instance; the queue's global concurrency (1) keeps instances from overlapping.
    concurrency: 1,
    // The job of a dead instance holds the queue's one slot until its lock lapses and a stalled-job
    // check (two passes) moves it back: both scaled to the interval, so KPIs move again within it.
    lockDuration: leaseMs(deps.settings.AGGREGATOR_INTERVAL_SECONDS),
    stalledInterval: leaseMs(deps.settings.AGGREGATOR_INTERVAL_SECONDS),
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'worker error'));
  return worker;
}

/**
 * How long a KPI run's liveness outlives its last renewal: the BullMQ job lock, the stalled-job check
 * period and the KPI claim lease. A quarter of the interval (3 s to 30 s): a dead instance's work is taken
 * over within about three of them, inside one interval.
 */
export function leaseMs(intervalSeconds: number): number {
  if (intervalSeconds <= 0) return 30_000;
  return Math.min(30_000, Math.max(3_000, (intervalSeconds * 1000) / 4));
}
