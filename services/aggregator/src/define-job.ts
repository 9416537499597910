import type { ClickHouse } from '@dossier/clickhouse';
import type { KpiLeases } from '@dossier/kpi';
import type { Logger } from '@dossier/observability';
import type { z } from 'zod';
import type { AggregatorSettings } from './config.ts';

export interface JobContext {
  clickhouse: ClickHouse;
  logger: Logger;
  settings: AggregatorSettings;
  /** Unique per execution (a retry gets a new one): tags scratch rows and written KPI rows. */
  runId: string;
  /** Fires when this instance stops: the job abandons its work before the next statement. */
  signal?: AbortSignal;
  /** Proves this instance's KPI runs alive while they hold a generation claim, and judges others' claims. */
  leases?: KpiLeases;
}

export interface JobResult {
  /** `skipped`: another run held the KPI generation, so this one did nothing. */
  mode?: string;
  /** Anything else the job reports (returned to whoever waits for it). */
  details?: Record<string, unknown>;
  kpiIds: string[];
  rowsWritten: number;
  dossiersRefreshed: number;
  periodsRecomputed: number;
}

export interface JobSpec<S extends z.ZodType> {
  name: string;
  /** Scheduled jobs get a BullMQ job scheduler (id = name) every `AGGREGATOR_INTERVAL_SECONDS`; others are enqueued. */
  scheduled: boolean;
  data: S;
  run(data: z.output<S>, context: JobContext): Promise<JobResult>;
}

export interface AggregatorJob {
  name: string;
  scheduled: boolean;
  /** Parses the payload (throws ZodError on a bad one, never casts) and runs the job. */
  run(payload: unknown, context: JobContext): Promise<JobResult>;
}

export function defineJob<S extends z.ZodType>(spec: JobSpec<S>): AggregatorJob {
  return {
    name: spec.name,
    scheduled: spec.scheduled,
    run: (payload, context) => spec.run(spec.data.parse(payload ?? {}), context),
  };
}
