import type { ClickHouse } from '@dossier/clickhouse';
import type { Health, Logger } from '@dossier/observability';
import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { MonitorConfig } from '../config.ts';
import type { GroupLagReader } from '../group-lag.ts';
import type { KpiCatalogView } from '../present.ts';
import type { CounterSample } from '../throughput.ts';

/** What every route reads; built once by `startMonitor`. */
export interface MonitorContext {
  config: MonitorConfig;
  logger: Logger;
  registry: Registry;
  health: Health;
  clickhouse: ClickHouse;
  queues: readonly Queue[];
  catalog: KpiCatalogView;
  throughputSamples: () => readonly CounterSample[];
  /** The ingestors' consumer group lag from Kafka, for a monitor that runs apart from them. */
  groupLag?: GroupLagReader;
  now: () => Date;
}
