export {
  ClusterDdlError,
  isClusterName,
  REPLICA_NAME,
  REPLICA_PATH,
  renderForCluster,
  stripComments,
} from './cluster-ddl.ts';
export {
  type ClickHouse,
  type ClickHouseOptions,
  createClickHouse,
  isEmbeddedUrl,
} from './create-clickhouse.ts';
export { EDITED_MIGRATIONS } from './edited-migrations.ts';
export {
  type EmbeddedChunk,
  type EmbeddedEngine,
  type EmbeddedSession,
  embeddedStatementsDone,
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
  DEFAULT_ANALYSTS_SHARE,
  DEFAULT_MEMORY_BUDGET,
  type MemoryBudget,
  MemoryBudgetConfig,
  memoryBudget,
  memoryBudgetOf,
  statementLimits,
} from './memory-budget.ts';
export {
  loadMigrations,
  MIGRATIONS_DIR,
  type MigrateOptions,
  type Migration,
  MigrationError,
  migrate,
  migrationChecksum,
} from './migrate.ts';
export { clickhouseCluster, clusterNeedsServer, MigratorConfig } from './migrator-config.ts';
export { QUERY_PARAM_NAME, stringLiteral } from './sql-literals.ts';
