import { clickhouseUrl, csvList, logLevel, port, positiveInt, redisUrl } from '@dossier/config';
import { z } from 'zod';

/** What `startMonitor` needs to know; clients (ClickHouse, Redis, registry) arrive as deps. */
export const MonitorConfig = z.object({
  MONITOR_PORT: port().default(8080),
  MONITOR_HOST: z.string().min(1).default('0.0.0.0'),
  /** How often the shared registry's ingestor counters are sampled for the throughput panel. */
  MONITOR_SAMPLE_INTERVAL_MS: positiveInt().default(5_000),
  /** Samples kept for the throughput sparkline (window = interval × samples). */
  MONITOR_SAMPLE_WINDOW: positiveInt().default(60),
  /** Latest dead letters shown on the dashboard (source position and reason only, never the payload). */
  MONITOR_DEAD_LETTER_SAMPLE: positiveInt().max(100).default(10),
  /** Months of history in the trend charts. */
  MONITOR_TREND_MONTHS: positiveInt().max(120).default(24),
  /**
   * Bearer token for the state-changing operator routes (dead-letter replay); unset, they answer 403.
   * `npm start` generates one into DATA_DIR when it is unset.
   */
  MONITOR_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
});
export type MonitorConfig = z.output<typeof MonitorConfig>;

/** The standalone process (`main.ts`) also builds its own clients. */
export const MonitorMainConfig = MonitorConfig.extend({
  CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
  REDIS_URL: redisUrl().default('redis://127.0.0.1:6379'),
  /** The aggregator's own variables, so one compose environment configures both processes alike. */
  AGGREGATOR_QUEUE: z.string().min(1).default('kpi-aggregator'),
  AGGREGATOR_PREFIX: z.string().min(1).default('bull'),
  /** With brokers the monitor also serves the dead-letter list and replay; without, it never touches Kafka. */
  KAFKA_BROKERS: csvList().optional(),
  LOG_LEVEL: logLevel(),
});
export type MonitorMainConfig = z.output<typeof MonitorMainConfig>;

/** Defaults for callers that build the config in code (the all-in-one process, tests). */
export function monitorConfig(overrides: Partial<z.input<typeof MonitorConfig>> = {}): MonitorConfig {
  return MonitorConfig.parse(overrides);
}
