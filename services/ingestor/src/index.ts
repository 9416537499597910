export type { IngestorClickHouse } from './clickhouse-writer.ts';
export { insertedRows } from './compact-rows.ts';
export { IngestorConfig, inputTopics, type TopicKind } from './config.ts';
export { LOCAL_ADMIN_TOKEN_FILE, LOCAL_DEAD_LETTER_KEY_FILE } from './replay-cli.ts';
export { type Ingestor, type IngestorDeps, sealStoredDeadLetters, startIngestor } from './start-ingestor.ts';
export { ensureTopics } from './topics.ts';
