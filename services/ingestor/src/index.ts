export type { IngestorClickHouse } from './clickhouse-writer.ts';
export { IngestorConfig, inputTopics, type TopicKind } from './config.ts';
export { CLICKHOUSE_REJECTED, DLQ_HEADERS } from './dead-letters.ts';
export { type Ingestor, type IngestorDeps, startIngestor } from './ingestor.ts';
export { kafkaLogCreator } from './kafka-log.ts';
export { ensureTopics } from './topics.ts';
