import { clickhouseUrl, csvList, logFormat, logLevel, port, positiveInt, redisUrl } from '@dossier/config';
import { PERIOD_KINDS, type PeriodKind, SCOPE_KINDS, type ScopeKind } from '@dossier/kpi';
import { z } from 'zod';

const kindList = <T extends string>(allowed: readonly T[]) =>
  csvList().pipe(z.array(z.enum(allowed as unknown as [T, ...T[]])));

/** Environment of the aggregator process (only main.ts reads it); keys are the variables' names, as in every service. */
export const AggregatorConfig = z.object({
  CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
  REDIS_URL: redisUrl().default('redis://127.0.0.1:6379'),
  OPS_PORT: port().default(9465),
  LOG_LEVEL: logLevel(),
  LOG_FORMAT: logFormat(),
  /** How often the KPI cycle runs; 0 disables the schedule (and removes it from Redis at start). */
  AGGREGATOR_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  AGGREGATOR_PERIOD_KINDS: kindList<PeriodKind>(PERIOD_KINDS).default([...PERIOD_KINDS]),
  AGGREGATOR_SCOPE_KINDS: kindList<ScopeKind>(SCOPE_KINDS).default([...SCOPE_KINDS]),
  AGGREGATOR_QUEUE: z.string().min(1).default('kpi-aggregator'),
  AGGREGATOR_PREFIX: z.string().min(1).default('bull'),
  AGGREGATOR_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Day periods older than this are no longer recomputed by the cycle (0: no limit); backfill ignores it. */
  AGGREGATOR_DAY_HORIZON_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .default(92)
    .transform((days) => (days === 0 ? undefined : days)),
  /**
   * How long the aggregator waits for one ClickHouse statement over HTTP before it gives up on the
   * request. A rebuild's statements at city scale run for minutes, and a statement queued behind others
   * waits silently on its socket: the client's 60 s default abandoned them, so no cycle ever finished.
   */
  AGGREGATOR_STATEMENT_TIMEOUT_SECONDS: positiveInt().default(1800),
  /** Readiness fails when the last successful cycle is older than this many intervals. */
  AGGREGATOR_STALE_AFTER_INTERVALS: positiveInt().default(3),
});
export type AggregatorConfig = z.output<typeof AggregatorConfig>;

/** What startAggregator needs; AggregatorConfig's output satisfies it. */
export type AggregatorSettings = Pick<
  AggregatorConfig,
  | 'AGGREGATOR_INTERVAL_SECONDS'
  | 'AGGREGATOR_PERIOD_KINDS'
  | 'AGGREGATOR_SCOPE_KINDS'
  | 'AGGREGATOR_QUEUE'
  | 'AGGREGATOR_PREFIX'
  | 'AGGREGATOR_GRACE_MS'
  | 'AGGREGATOR_STALE_AFTER_INTERVALS'
> &
  Partial<Pick<AggregatorConfig, 'AGGREGATOR_DAY_HORIZON_DAYS'>>;
