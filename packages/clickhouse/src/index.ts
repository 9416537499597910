export {
  type ClickHouse,
  type ClickHouseOptions,
  createClickHouse,
  isEmbeddedUrl,
} from './create-clickhouse.ts';
export { loadMigrations, MIGRATIONS_DIR, type Migration, migrate } from './migrate.ts';
