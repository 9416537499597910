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
        const lockLost = signal.reason === JOB_LOCK_LOST;
        logger.info(
          { attempt: bullJob.attemptsMade + 1 },
          lockLost ? 'kpi job abandoned: lock lost' : 'kpi job abandoned at shutdown',
        );
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
  const interval = deps.settings.AGGREGATOR_INTERVAL_SECONDS;
  const worker = new Worker(deps.settings.AGGREGATOR_QUEUE, createProcessor(deps), {
    connection: { ...deps.connection, maxRetriesPerRequest: null },
    prefix: deps.settings.AGGREGATOR_PREFIX,
    // One job at a time per instance; the queue's global concurrency (1) keeps instances from overlapping.
    concurrency: 1,
    // The job of a dead instance holds the queue's one slot until its lock lapses and a stalled-job
    // check moves it back (lockMs + leaseMs: within two intervals). A live instance whose renewals stop
    // for longer than the lock (a loaded machine, a long GC) loses its running job to another instance.
    lockDuration: lockMs(interval),
    stalledInterval: leaseMs(interval),
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'worker error'));
  // The job now belongs to whichever instance the stalled-job check gave it to: this one stops at its
  // next statement instead of computing alongside it.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) {
      const cancelled = worker.cancelJob(jobId, JOB_LOCK_LOST);
      deps.logger.warn({ jobId, cancelled }, 'kpi job lock lost');
    }
  });
  return worker;
}

/** The abort reason of a run whose BullMQ job lock lapsed: the job may run on another instance now. */
export const JOB_LOCK_LOST = 'the job lock lapsed: another instance may run the job';

/**
 * How long a KPI run's liveness outlives its last renewal in the KPI claim lease, and the stalled-job
 * check period: a quarter of the interval (3 s to 30 s).
 */
export function leaseMs(intervalSeconds: number): number {
  if (intervalSeconds <= 0) return 30_000;
  return Math.min(30_000, Math.max(3_000, (intervalSeconds * 1000) / 4));
}

/**
 * The BullMQ job lock: three quarters of the interval (3 s to 45 s), renewed every quarter to half of it.
 * It was the lease (a quarter): under load 20-40 a renewal came more than 3 s late and the stalled-job
 * check handed a running job to the other instance. A killed instance's job is still taken over within
 * lockMs + leaseMs, one interval, and the claim lease (leaseMs) has lapsed by then, so the run that
 * takes it computes.
 */
export function lockMs(intervalSeconds: number): number {
  if (intervalSeconds <= 0) return 45_000;
  return Math.min(45_000, Math.max(3_000, (intervalSeconds * 1000 * 3) / 4));
}
