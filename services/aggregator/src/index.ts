export { AggregatorConfig, type AggregatorSettings } from './config.ts';
export { type AggregatorJob, defineJob, type JobContext, type JobResult } from './define-job.ts';
export { BackfillKpisData } from './jobs/backfill-kpis.job.ts';
export { JOBS } from './jobs/index.ts';
export { BACKFILL_JOB_OPTIONS } from './schedulers.ts';
export { type Aggregator, type AggregatorDeps, startAggregator } from './start-aggregator.ts';
