import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: string;
  /** Extra redact paths on top of the built-in ones (secrets and personal data). */
  redact?: string[];
  destination?: pino.DestinationStream;
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

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, version: options.version ?? '0.1.0' },
      redact: { paths: [...REDACT_PATHS, ...(options.redact ?? [])], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A bug: log it with the service's logger, then exit non-zero (never carry on in an unknown state). */
export function exitOnUncaughtException(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
}
