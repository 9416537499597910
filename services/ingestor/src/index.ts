export type { IngestorClickHouse } from './clickhouse-writer.ts';
export { IngestorConfig, inputTopics, type TopicKind } from './config.ts';
export { CLICKHOUSE_REJECTED, DLQ_HEADERS } from './dead-letters.ts';
export { type Ingestor, type IngestorDeps, startIngestor } from './ingestor.ts';
export { kafkaLogCreator } from './kafka-log.ts';
export {
  REPLAY_HEADER,
  type ReplayDeps,
  type ReplayedLetter,
  type ReplayFilter,
  replayDeadLetters,
} from './replay.ts';
export { LOCAL_ADMIN_TOKEN_FILE } from './replay-cli.ts';
export { ensureTopics } from './topics.ts';
