export {
  type ClickHouse,
  type ClickHouseOptions,
  createClickHouse,
  isEmbeddedUrl,
} from './create-clickhouse.ts';
export {
  type EmbeddedChunk,
  type EmbeddedEngine,
  type EmbeddedSession,
  openEmbeddedEngine,
} from './embedded-sessions.ts';
export { loadMigrations, MIGRATIONS_DIR, type Migration, migrate } from './migrate.ts';
