import { KPI_IDS } from '@dossier/kpi';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Watermarks } from './watermarks.ts';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Label values are closed sets: job names from the job list, KPI ids from the catalog, three outcomes. */
export function createAggregatorMetrics(
  registry: Registry,
  watermarks: Watermarks,
  now: () => number = Date.now,
  /** The queue's job counts by state, read at each scrape (the monitor's queue panel, for Grafana). */
  queueCounts?: () => Promise<Record<string, number>>,
) {
  const runs = new Counter({
    name: 'aggregator_runs_total',
    help: 'KPI jobs run, by job and outcome (ok | skipped: another run held the generation | error)',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  });
  const runDuration = new Histogram({
    name: 'aggregator_run_duration_seconds',
    help: 'Duration of KPI jobs',
    labelNames: ['job'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const rowsWritten = new Counter({
    name: 'aggregator_rows_written_total',
    help: 'KPI value rows written (only values that changed)',
    labelNames: ['job'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'aggregator_last_success_age_seconds',
    help: 'Seconds since each KPI was last computed successfully (any instance)',
    labelNames: ['kpi'] as const,
    registers: [registry],
    collect() {
      const snapshot = watermarks.current();
      for (const kpi of KPI_IDS) {
        const at = snapshot.kpiSucceededMs.get(kpi);
        if (at !== undefined) this.set({ kpi }, Math.max(0, (now() - at) / 1000));
      }
    },
  });
  new Gauge({
    name: 'aggregator_watermark_lag_seconds',
    help: 'Seconds between now and the ingestion-time watermark of the last successful cycle',
    registers: [registry],
    collect() {
      const at = watermarks.current().watermarkMs;
      if (at !== undefined) this.set(Math.max(0, (now() - at) / 1000));
    },
  });
  new Gauge({
    name: 'aggregator_queue_jobs',
    help: 'Jobs in the KPI queue by state (the queue is shared: every instance reports the same counts)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (!queueCounts) return;
      for (const state of QUEUE_STATES) this.set({ state }, 0);
      for (const [state, count] of Object.entries(await queueCounts())) {
        if ((QUEUE_STATES as readonly string[]).includes(state)) this.set({ state }, count);
      }
    },
  });
  return { runs, runDuration, rowsWritten };
}
export type AggregatorMetrics = ReturnType<typeof createAggregatorMetrics>;
