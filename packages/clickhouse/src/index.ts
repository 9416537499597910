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
export {
  CLICKHOUSE_CODES,
  type ClickHouseCodeName,
  clickHouseCodeName,
  clickHouseErrorCode,
  httpStatusOfCode,
  isMissingTable,
  isPassingErrorCode,
  isRowErrorCode,
  networkErrorCode,
} from './errors.ts';
export {
  type MemoryBudget,
  MemoryBudgetConfig,
  memoryBudget,
  memoryBudgetOf,
  statementLimits,
} from './memory-budget.ts';
export { loadMigrations, MIGRATIONS_DIR, type Migration, migrate } from './migrate.ts';
