import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** `auto`: readable lines on a terminal, one JSON object per line otherwise (files, pipes, collectors). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: string;
  /** Extra redact paths on top of the built-in ones (secrets and personal data). */
  redact?: string[];
  /** Where JSON lines go; when set, `format` is not used. */
  destination?: pino.DestinationStream;
  format?: LogFormat;
}

// Paths, not substrings: pino removes these wherever a caller passes them in the log object.
const REDACT_PATHS = [
  'password',
  '*.password',
  'headers.authorization',
  '*.headers.authorization',
  'applicant',
  '*.applicant',
  'ChuHoSo',
  '*.ChuHoSo',
  'SoGiayToChuHoSo',
  '*.SoGiayToChuHoSo',
  'DinhDanhCHS',
  '*.DinhDanhCHS',
];

/** The format `auto` stands for on this stdout. */
export function resolveLogFormat(format: LogFormat, stdoutIsTty: boolean): 'json' | 'pretty' {
  if (format === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return format;
}

/**
 * pino-pretty in pino's worker-thread transport, so formatting never runs on the event loop. pino
 * registers an exit hook that flushes the worker synchronously, so a fatal line logged right before
 * `process.exit` is still printed (packages/observability/test/pretty-exit.test.ts proves it).
 */
function prettyTransport(): pino.DestinationStream {
  return pino.transport({
    target: createRequire(import.meta.url).resolve('pino-pretty'),
    options: {
      translateTime: 'SYS:HH:MM:ss.l',
      // One line per entry: the component (aggregator, kafkajs …) before the message, the fields after it.
      singleLine: true,
      ignore: 'pid,hostname,version,service,component',
      messageFormat: '{if component}[{component}] {end}{msg}',
    },
  });
}

export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, version: options.version ?? '0.1.0' },
    redact: { paths: [...REDACT_PATHS, ...(options.redact ?? [])], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(settings, options.destination);
  const format = resolveLogFormat(options.format ?? 'auto', process.stdout.isTTY === true);
  // Written synchronously: a line logged right before the process kills itself (the shutdown deadline,
  // shutdown.ts) is on stdout before the kill; pino's default writes it later on libuv's thread pool.
  return format === 'pretty'
    ? pino(settings, prettyTransport())
    : pino(settings, pino.destination({ dest: 1, sync: true }));
}

/** A bug: log it with the service's logger, then exit non-zero (never carry on in an unknown state). */
export function exitOnUncaughtException(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
}
