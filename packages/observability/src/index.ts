export { type Check, type CheckResult, createHealth, createHeartbeat, type Health } from './health.ts';
export { kafkaLogCreator } from './kafka-log.ts';
export { createLogger, exitOnUncaughtException, type Logger, type LoggerOptions } from './logger.ts';
export { createMetricsRegistry } from './metrics.ts';
export { createOpsHandler, type OpsHandlerOptions, type OpsServer, serveOps } from './serve-ops.ts';
export { onShutdown, type ShutdownOptions, type ShutdownStep } from './shutdown.ts';
