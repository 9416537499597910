import { AggregatorConfig } from '@dossier/aggregator';
import { clickhouseCluster, clusterNeedsServer, MemoryBudgetConfig } from '@dossier/clickhouse';
import {
  boolFlag,
  ConfigError,
  clickhouseUrl,
  loadConfig,
  logFormat,
  logLevel,
  port,
  positiveInt,
} from '@dossier/config';
import { IngestorConfig } from '@dossier/ingestor';
import { MonitorConfig } from '@dossier/monitor';
import { z } from 'zod';
import { AnalystsConfig } from '../../monitor/src/analysts/index.ts';

const share = z.coerce.number().min(0).max(1);

/** The one-process mode's own settings; every service's own variables are read by its schema. */
export const AllInOneConfig = z
  .object({
    DATA_DIR: z.string().min(1).default('./data'),
    CLICKHOUSE_URL: clickhouseUrl().optional(),
    /** Migrations create replicated tables ON CLUSTER (CLICKHOUSE_URL must then be a server of it). */
    CLICKHOUSE_CLUSTER: clickhouseCluster().optional(),
    /** Use these brokers; otherwise a local broker on KAFKA_PORT, started when nothing answers there. */
    KAFKA_BROKERS: z.string().min(1).optional(),
    KAFKA_PORT: port().default(9092),
    /** Use this Redis; otherwise `infra/local/redis/redis.sh ensure` finds or starts one. */
    REDIS_URL: z.string().min(1).optional(),
    LOG_LEVEL: logLevel(),
    LOG_FORMAT: logFormat(),
    SIMULATOR: boolFlag().default(true),
    SIMULATOR_RATE: z.coerce.number().positive().default(50),
    SIMULATOR_SEED: z.string().min(1).default('1'),
    SIMULATOR_DIALECT_SHARE: share.default(0.4),
    SIMULATOR_DUPLICATE_SHARE: share.default(0.02),
    SIMULATOR_OUT_OF_ORDER_SHARE: share.default(0.05),
    SIMULATOR_MALFORMED_SHARE: share.default(0.01),
    SIMULATOR_BACKDATE_DAYS: positiveInt().default(30),
    SHUTDOWN_TIMEOUT_MS: positiveInt().default(40_000),
  })
  .superRefine(clusterNeedsServer);
export type AllInOneConfig = z.output<typeof AllInOneConfig>;

export interface AllInOneSettings {
  own: AllInOneConfig;
  clickhouseUrl: string;
  brokers: string[];
  ingestor: IngestorConfig;
  aggregator: AggregatorConfig;
  monitor: MonitorConfig;
  analysts: AnalystsConfig;
  memory: MemoryBudgetConfig;
}

function attempt<T>(problems: string[], load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/**
 * Every service's configuration from one environment, with this mode's defaults (embedded
 * ClickHouse under DATA_DIR, local Kafka); all problems of all services are reported together.
 */
export function loadAllInOneConfig(
  env: Record<string, string | undefined>,
  applicantHashKey: string,
  deadLetterKey: string,
): AllInOneSettings {
  const problems: string[] = [];
  const own = attempt(problems, () => loadConfig(AllInOneConfig, env));
  const dataDir = own?.DATA_DIR ?? './data';
  const clickhouse = own?.CLICKHOUSE_URL ?? `chdb:${dataDir}/clickhouse`;
  const brokers = own?.KAFKA_BROKERS ?? `127.0.0.1:${own?.KAFKA_PORT ?? 9092}`;
  const shared = { ...env, CLICKHOUSE_URL: clickhouse, KAFKA_BROKERS: brokers };
  const ingestor = attempt(problems, () =>
    loadConfig(IngestorConfig, {
      APPLICANT_HASH_KEY: applicantHashKey,
      DEAD_LETTER_KEY: deadLetterKey,
      ...shared,
    }),
  );
  const aggregator = attempt(problems, () => loadConfig(AggregatorConfig, shared));
  const monitor = attempt(problems, () => loadConfig(MonitorConfig, env));
  const analysts = attempt(problems, () => loadConfig(AnalystsConfig, env));
  const memory = attempt(problems, () => loadConfig(MemoryBudgetConfig, env));
  if (!own || !ingestor || !aggregator || !monitor || !analysts || !memory)
    throw new ConfigError([...new Set(problems)]);
  return {
    own,
    clickhouseUrl: clickhouse,
    brokers: brokers.split(',').map((b) => b.trim()),
    ingestor,
    aggregator,
    monitor,
    analysts,
    memory,
  };
}
