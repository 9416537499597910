import type { AggregatorJob } from '../define-job.ts';
import { backfillKpisJob } from './backfill-kpis.job.ts';
import { recomputeKpis } from './recompute-kpis.job.ts';
import { verifyKpisJob } from './verify-kpis.job.ts';

export const JOBS: readonly AggregatorJob[] = [recomputeKpis, backfillKpisJob, verifyKpisJob];
