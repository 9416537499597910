import {
  ClickHouseLogLevel,
  type Logger as ClientLogger,
  type ErrorLogParams,
  type LogParams,
} from '@clickhouse/client';
import type { Logger } from '@dossier/observability';
import { clickHouseErrorCode, networkErrorCode } from './errors.ts';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * @clickhouse/client's own log lines, through the service's logger (one format, one destination, redaction)
 * instead of console.error. The client logs every failed request at ERROR and also rejects the call with
 * the same error; the caller decides what it means (an analyst's write refused as READONLY, an insert
 * retried after ECONNRESET), so a ClickHouse exception or a network failure is logged here at debug only.
 * Errors no caller sees (idle socket housekeeping, an unparsable summary header) stay errors.
 */
export function clickHouseClientLog(logger: Logger): {
  LoggerClass: new () => ClientLogger;
  level: ClickHouseLogLevel;
} {
  const log = logger.child({ component: 'clickhouse-client' });
  const write = (level: Level, { module, message, args }: LogParams, err?: Error) =>
    log[level]({ module, ...args, ...(err ? { err } : {}) }, message);
  class ServiceLogger implements ClientLogger {
    trace(params: LogParams) {
      write('trace', params);
    }
    debug(params: LogParams) {
      write('debug', params);
    }
    info(params: LogParams) {
      write('info', params);
    }
    warn(params: LogParams & { err?: Error }) {
      write('warn', params, params.err);
    }
    error(params: ErrorLogParams) {
      const reported =
        clickHouseErrorCode(params.err) !== undefined || networkErrorCode(params.err) !== undefined;
      write(reported ? 'debug' : 'error', params, params.err);
    }
  }
  // The client filters before calling the logger: let through what the service's level would print.
  const level = log.isLevelEnabled('trace')
    ? ClickHouseLogLevel.TRACE
    : log.isLevelEnabled('debug')
      ? ClickHouseLogLevel.DEBUG
      : ClickHouseLogLevel.WARN;
  return { LoggerClass: ServiceLogger, level };
}
