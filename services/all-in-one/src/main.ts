// `npm start`: the whole pipeline in one process over embedded ClickHouse (see docs/analysts.md).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@dossier/config';
import { LOCAL_ADMIN_TOKEN_FILE, LOCAL_DEAD_LETTER_KEY_FILE } from '@dossier/ingestor';
import { isLoopbackHost } from '@dossier/monitor';
import { createLogger, exitOnUncaughtException, onShutdown } from '@dossier/observability';
import { loadAllInOneConfig } from './config.ts';
import { startAllInOne } from './start-all-in-one.ts';

/** A local run keeps its applicant-hash key next to its data, so hashes stay stable across restarts. */
function localHashKey(dataDir: string): string {
  const file = join(dataDir, 'applicant-hash.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * Without MONITOR_ADMIN_TOKEN, a monitor on loopback gets a generated operator token next to the data (where the
 * replay CLI reads it). One exposed to the network gets none: its operator must choose the credential.
 */
function localAdminToken(dataDir: string): string {
  const file = join(dataDir, LOCAL_ADMIN_TOKEN_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Without DEAD_LETTER_KEY, dead letters are sealed with a key next to the data (the replay CLI reads it). */
function localDeadLetterKey(dataDir: string): string {
  const file = join(dataDir, LOCAL_DEAD_LETTER_KEY_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const dataDir = process.env.DATA_DIR || './data';
mkdirSync(dataDir, { recursive: true });
const generateToken =
  !process.env.MONITOR_ADMIN_TOKEN && isLoopbackHost(process.env.MONITOR_HOST || '127.0.0.1');
let settings: ReturnType<typeof loadAllInOneConfig>;
try {
  settings = loadAllInOneConfig(
    { ...process.env, ...(generateToken && { MONITOR_ADMIN_TOKEN: localAdminToken(dataDir) }) },
    process.env.APPLICANT_HASH_KEY || localHashKey(dataDir),
    process.env.DEAD_LETTER_KEY || localDeadLetterKey(dataDir),
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const logger = createLogger({
  service: 'all-in-one',
  level: settings.own.LOG_LEVEL,
  format: settings.own.LOG_FORMAT,
});
exitOnUncaughtException(logger);

const app = await startAllInOne(settings, logger);
onShutdown(app.shutdownSteps, { logger, timeoutMs: settings.own.SHUTDOWN_TIMEOUT_MS });
// For supervisors and tests that hold no handle on npm: the process to signal.
writeFileSync(join(dataDir, 'all-in-one.pid'), String(process.pid));
logger.info({ ...app.urls, simulator: settings.own.SIMULATOR }, 'all-in-one ready');
console.log(
  [
    '',
    'dossier-pipeline is running (Ctrl-C stops everything it started)',
    `  dashboard            ${app.urls.dashboard}`,
    `  Bull Board           ${app.urls.bullBoard} (read-only until you sign in at ${app.urls.login})`,
    `  metrics              ${app.urls.metrics}`,
    `  ClickHouse HTTP      ${app.urls.clickhouseHttp ?? '(CLICKHOUSE_URL is a server: query it directly)'}`,
    `  simulator            ${settings.own.SIMULATOR ? `on, ${settings.own.SIMULATOR_RATE} msg/s (SIMULATOR=false turns it off)` : 'off'}`,
    `  operator token       ${generateToken ? join(dataDir, LOCAL_ADMIN_TOKEN_FILE) : 'MONITOR_ADMIN_TOKEN'} (sign-in, npm run replay-dead-letters)`,
    `  data                 ${dataDir}`,
    '',
  ].join('\n'),
);
