// `npm start`: the whole pipeline in one process over embedded ClickHouse (see docs/analysts.md).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@dossier/config';
import { LOCAL_ADMIN_TOKEN_FILE } from '@dossier/ingestor';
import { createLogger, exitOnUncaughtException, onShutdown } from '@dossier/observability';
import { loadAllInOneConfig } from './config.ts';
import { startAllInOne } from './start-all-in-one.ts';

/** A local run keeps its applicant-hash key next to its data, so hashes stay stable across restarts. */
function localHashKey(dataDir: string): string {
  const file = join(dataDir, 'applicant-hash.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Without MONITOR_ADMIN_TOKEN, replay is guarded by a token next to the data, where the replay CLI reads it. */
function localAdminToken(dataDir: string): string {
  const file = join(dataDir, LOCAL_ADMIN_TOKEN_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const dataDir = process.env.DATA_DIR || './data';
mkdirSync(dataDir, { recursive: true });
let settings: ReturnType<typeof loadAllInOneConfig>;
try {
  settings = loadAllInOneConfig(
    { ...process.env, MONITOR_ADMIN_TOKEN: process.env.MONITOR_ADMIN_TOKEN || localAdminToken(dataDir) },
    process.env.APPLICANT_HASH_KEY || localHashKey(dataDir),
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const logger = createLogger({ service: 'all-in-one', level: settings.own.LOG_LEVEL });
exitOnUncaughtException(logger);

const app = await startAllInOne(settings, logger);
onShutdown(app.shutdownSteps, { logger, timeoutMs: settings.own.SHUTDOWN_TIMEOUT_MS });
// For supervisors and tests: signal this process, not the npm/tsx wrappers (they do not relay SIGTERM).
writeFileSync(join(dataDir, 'all-in-one.pid'), String(process.pid));
logger.info({ ...app.urls, simulator: settings.own.SIMULATOR }, 'all-in-one ready');
console.log(
  [
    '',
    'dossier-pipeline is running (Ctrl-C stops everything it started)',
    `  dashboard            ${app.urls.dashboard}`,
    `  Bull Board           ${app.urls.bullBoard}`,
    `  metrics              ${app.urls.metrics}`,
    `  ClickHouse HTTP      ${app.urls.clickhouseHttp ?? '(CLICKHOUSE_URL is a server: query it directly)'}`,
    `  simulator            ${settings.own.SIMULATOR ? `on, ${settings.own.SIMULATOR_RATE} msg/s (SIMULATOR=false turns it off)` : 'off'}`,
    `  dead-letter replay   npm run replay-dead-letters (admin token: ${process.env.MONITOR_ADMIN_TOKEN ? 'MONITOR_ADMIN_TOKEN' : join(dataDir, LOCAL_ADMIN_TOKEN_FILE)})`,
    `  data                 ${dataDir}`,
    '',
  ].join('\n'),
);
