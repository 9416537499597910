import { clickhouseUrl, csvList, logFormat, logLevel, port, positiveInt, redisUrl } from '@dossier/config';
import { PERIOD_KINDS, type PeriodKind, SCOPE_KINDS, type ScopeKind } from '@dossier/kpi';
import { z } from 'zod';

const kindList = <T extends string>(allowed: readonly T[]) =>
  csvList().pipe(z.array(z.enum(allowed as unknown as [T, ...T[]])));

/** Environment of the aggregator process (only main.ts reads it); parsed into settings and connections. */
export const AggregatorConfig = z
  .object({
    CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
    REDIS_URL: redisUrl().default('redis://127.0.0.1:6379'),
    OPS_PORT: port().default(9465),
    LOG_LEVEL: logLevel(),
    LOG_FORMAT: logFormat(),
    /** How often the KPI cycle runs; 0 disables the schedule (and removes it from Redis at start). */
    AGGREGATOR_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
    AGGREGATOR_PERIOD_KINDS: kindList(PERIOD_KINDS).default([...PERIOD_KINDS]),
    AGGREGATOR_SCOPE_KINDS: kindList(SCOPE_KINDS).default([...SCOPE_KINDS]),
    AGGREGATOR_QUEUE: z.string().min(1).default('kpi-aggregator'),
    AGGREGATOR_PREFIX: z.string().min(1).default('bull'),
    AGGREGATOR_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
    /** Day periods older than this are no longer recomputed by the cycle (0: no limit); backfill ignores it. */
    AGGREGATOR_DAY_HORIZON_DAYS: z.coerce.number().int().min(0).default(92),
    /** Readiness fails when the last successful cycle is older than this many intervals. */
    AGGREGATOR_STALE_AFTER_INTERVALS: positiveInt().default(3),
  })
  .transform((env) => ({
    clickhouseUrl: env.CLICKHOUSE_URL,
    redisUrl: env.REDIS_URL,
    opsPort: env.OPS_PORT,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    intervalSeconds: env.AGGREGATOR_INTERVAL_SECONDS,
    periodKinds: env.AGGREGATOR_PERIOD_KINDS as PeriodKind[],
    scopeKinds: env.AGGREGATOR_SCOPE_KINDS as ScopeKind[],
    queueName: env.AGGREGATOR_QUEUE,
    prefix: env.AGGREGATOR_PREFIX,
    graceMs: env.AGGREGATOR_GRACE_MS,
    staleAfterIntervals: env.AGGREGATOR_STALE_AFTER_INTERVALS,
    dayHorizonDays: env.AGGREGATOR_DAY_HORIZON_DAYS === 0 ? undefined : env.AGGREGATOR_DAY_HORIZON_DAYS,
  }));
export type AggregatorConfig = z.output<typeof AggregatorConfig>;

/** What startAggregator needs; AggregatorConfig's output satisfies it. */
export type AggregatorSettings = Pick<
  AggregatorConfig,
  | 'intervalSeconds'
  | 'periodKinds'
  | 'scopeKinds'
  | 'queueName'
  | 'prefix'
  | 'graceMs'
  | 'staleAfterIntervals'
> &
  Partial<Pick<AggregatorConfig, 'dayHorizonDays'>>;
