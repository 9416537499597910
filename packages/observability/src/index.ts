export { type Check, type CheckResult, createHealth, createHeartbeat, type Health } from './health.ts';
export { isSettlingKafkaError, kafkaLogCreator } from './kafka-log.ts';
export { createTopicsWithLeaders, type TopicLeaderWait, waitForTopicLeaders } from './kafka-topics.ts';
export {
  createLogger,
  exitOnUncaughtException,
  LOG_FORMATS,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  resolveLogFormat,
} from './logger.ts';
export { createMetricsRegistry } from './metrics.ts';
export { createOpsHandler, type OpsHandlerOptions, type OpsServer, serveOps } from './serve-ops.ts';
export { onShutdown, type ShutdownOptions, type ShutdownStep } from './shutdown.ts';
