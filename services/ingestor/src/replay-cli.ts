import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createClickHouse, isEmbeddedUrl } from '@dossier/clickhouse';
import {
  ConfigError,
  clickhouseUrl,
  csvList,
  loadConfig,
  port,
  secretKey,
  secretKeyList,
} from '@dossier/config';
import {
  deadLetterKeys,
  type ReplayedLetter,
  type ReplayFilter,
  replayDeadLetters,
} from '@dossier/dead-letters';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { z } from 'zod';

/** The admin token `npm start` generates next to its data when MONITOR_ADMIN_TOKEN is unset. */
export const LOCAL_ADMIN_TOKEN_FILE = 'monitor-admin.token';
/** The dead-letter sealing key `npm start` generates next to its data when DEAD_LETTER_KEY is unset. */
export const LOCAL_DEAD_LETTER_KEY_FILE = 'dead-letter.key';
const PID_FILE = 'all-in-one.pid';
const EMBEDDED_PREFIX = 'chdb:';

export const USAGE = `npm run replay-dead-letters -- [--since ISO] [--until ISO] [--reason CODE] [--topic T] [--rate N] [--dry-run]

Sends not-yet-replayed dead letters back to their source topic, each at most once.
  --since, --until   rejected at or after / before these instants (ISO 8601)
  --reason           only this reason code (e.g. too_large)
  --topic            only letters from this source topic
  --rate             at most N letters a second (default: as fast as Kafka takes them), so that a
                     large backlog does not queue ahead of the agencies' live input
  --dry-run          list what would be replayed, send nothing

While \`npm start\` runs on the same data directory (chDB allows one process per directory), the
replay goes through its monitor (MONITOR_PORT, token from MONITOR_ADMIN_TOKEN or
DATA_DIR/${LOCAL_ADMIN_TOKEN_FILE}); otherwise it reads ClickHouse and writes Kafka itself.`;

export const ReplayCliConfig = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  /** Defaults like `npm start`: the embedded engine under DATA_DIR. */
  CLICKHOUSE_URL: clickhouseUrl().optional(),
  /** Needed only when this process sends the letters itself. */
  KAFKA_BROKERS: csvList().optional(),
  MONITOR_PORT: port().default(8080),
  MONITOR_HOST: z.string().min(1).default('127.0.0.1'),
  MONITOR_ADMIN_TOKEN: z.string().min(1).optional(),
  /** Opens the sealed letters when this process replays them itself; else DATA_DIR/dead-letter.key. */
  DEAD_LETTER_KEY: secretKey().optional(),
  DEAD_LETTER_PREVIOUS_KEYS: secretKeyList().default([]),
});
export type ReplayCliConfig = z.output<typeof ReplayCliConfig>;

/** A problem the operator can fix (flags, configuration, the running process refusing); no stack trace. */
export class ReplayCliError extends Error {
  override name = 'ReplayCliError';
}

/** The pid file named a live process but nothing answered on the monitor port. */
export class MonitorUnreachableError extends ReplayCliError {
  override name = 'MonitorUnreachableError';
}

export interface MonitorTarget {
  url: string;
  token: string;
  pid: number;
  pidFile: string;
}

function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new ReplayCliError(`--${name}: expected an ISO 8601 instant, got ${text}`);
  return date;
}

function rate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1_000_000)
    throw new ReplayCliError(
      `--rate: expected letters a second, a number above 0 and at most 1000000, got ${text}`,
    );
  return value;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function livePid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/**
 * The running all-in-one whose chDB directory this replay would open, if any: its pid file sits in
 * DATA_DIR, which is also the parent of its ClickHouse directory unless CLICKHOUSE_URL moved it.
 */
export function runningAllInOne(config: ReplayCliConfig): MonitorTarget | undefined {
  const url = config.CLICKHOUSE_URL ?? `${EMBEDDED_PREFIX}${config.DATA_DIR}/clickhouse`;
  if (!isEmbeddedUrl(url)) return undefined;
  const chdbDir = resolve(url.slice(EMBEDDED_PREFIX.length) || './data/clickhouse');
  for (const dataDir of new Set([resolve(config.DATA_DIR), dirname(chdbDir)])) {
    const pidFile = join(dataDir, PID_FILE);
    const pid = livePid(pidFile);
    if (pid === undefined) continue;
    const tokenFile = join(dataDir, LOCAL_ADMIN_TOKEN_FILE);
    const token =
      config.MONITOR_ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '');
    if (!token)
      throw new ReplayCliError(
        `npm start (pid ${pid}) holds ${chdbDir}, so the replay must go through its monitor, but there is no admin token: set MONITOR_ADMIN_TOKEN as for npm start (or restart it to generate ${tokenFile})`,
      );
    const host = ['0.0.0.0', '::', ''].includes(config.MONITOR_HOST) ? '127.0.0.1' : config.MONITOR_HOST;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${config.MONITOR_PORT}`,
      token,
      pid,
      pidFile,
    };
  }
  return undefined;
}

const ReplayResponse = z.object({
  dryRun: z.boolean(),
  letters: z.array(
    z.object({
      source_topic: z.string(),
      source_partition: z.number(),
      source_offset: z.string(),
      reason_code: z.string(),
      rejected_at: z.string(),
    }),
  ),
});
const ErrorResponse = z.object({
  error: z.string(),
  message: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function post(url: URL, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    // node:http rather than fetch: a large replay may take minutes, past fetch's header timeout.
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** Asks a running monitor to replay (POST /api/dead-letters/replay) and returns what it did. */
export async function replayThroughMonitor(
  target: Pick<MonitorTarget, 'url' | 'token'>,
  filter: ReplayFilter,
): Promise<ReplayedLetter[]> {
  const url = new URL('/api/dead-letters/replay', target.url);
  const body = JSON.stringify({
    since: filter.since?.toISOString(),
    until: filter.until?.toISOString(),
    reason: filter.reason,
    topic: filter.topic,
    dryRun: filter.dryRun ?? false,
    ratePerSecond: filter.ratePerSecond,
  });
  let res: { status: number; text: string };
  try {
    res = await post(url, target.token, body);
  } catch (err) {
    throw new MonitorUnreachableError(`cannot reach the monitor at ${url}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    json = undefined; // reported below with the status
  }
  if (res.status === 200) {
    const ok = ReplayResponse.safeParse(json);
    if (ok.success) return ok.data.letters;
    throw new ReplayCliError(`unexpected answer from ${url}: ${z.prettifyError(ok.error)}`);
  }
  const failure = ErrorResponse.safeParse(json);
  const detail = failure.success
    ? [
        failure.data.message ?? failure.data.error,
        ...(failure.data.issues ?? []).map((i) => `  ${i.path}: ${i.message}`),
      ]
    : [res.text.slice(0, 500)];
  throw new ReplayCliError(`the monitor at ${url} answered ${res.status}: ${detail.join('\n')}`);
}

async function replayHere(config: ReplayCliConfig, filter: ReplayFilter): Promise<ReplayedLetter[]> {
  if (!config.KAFKA_BROKERS) throw new ConfigError(['KAFKA_BROKERS: required to send the letters']);
  const keyFile = join(config.DATA_DIR, LOCAL_DEAD_LETTER_KEY_FILE);
  const key =
    config.DEAD_LETTER_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (!key)
    throw new ConfigError([
      `DEAD_LETTER_KEY: required to open the letters (or ${keyFile}, as npm start writes it)`,
    ]);
  const keys = deadLetterKeys(key, config.DEAD_LETTER_PREVIOUS_KEYS);
  const clickhouse = await createClickHouse({
    url: config.CLICKHOUSE_URL ?? `${EMBEDDED_PREFIX}${config.DATA_DIR}/clickhouse`,
    application: 'dossier-replay',
  });
  const producer = new Kafka({
    clientId: 'dossier-replay',
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.ERROR,
  }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await producer.connect();
    return await replayDeadLetters({ clickhouse, producer, keys }, filter);
  } finally {
    await producer.disconnect();
    await clickhouse.close();
  }
}

/**
 * The `replay-dead-letters` command: through the running all-in-one's monitor when it holds the chDB
 * directory, otherwise directly. Prints one line per letter and a total, the same either way.
 */
export async function runReplayCli(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void,
  note: (line: string) => void = () => {},
): Promise<ReplayedLetter[]> {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    ({ values } = parseFlags(argv));
  } catch (err) {
    throw new ReplayCliError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    print(USAGE);
    return [];
  }
  const config = loadConfig(ReplayCliConfig, env);
  const filter: ReplayFilter = {
    since: instant('since', values.since),
    until: instant('until', values.until),
    reason: values.reason,
    topic: values.topic,
    dryRun: values['dry-run'],
    ratePerSecond: rate(values.rate),
  };
  const target = runningAllInOne(config);
  if (target) note(`npm start (pid ${target.pid}) holds the data: replaying through ${target.url}`);
  const letters = target ? await throughMonitor(target, filter) : await replayHere(config, filter);
  const verb = filter.dryRun ? 'would replay' : 'replayed';
  for (const l of letters) {
    print(
      `${verb} ${l.source_topic}/${l.source_partition}/${l.source_offset} ${l.reason_code} rejected_at=${l.rejected_at}`,
    );
  }
  print(`${letters.length} dead letter(s) ${verb}`);
  return letters;
}

async function throughMonitor(target: MonitorTarget, filter: ReplayFilter): Promise<ReplayedLetter[]> {
  try {
    return await replayThroughMonitor(target, filter);
  } catch (err) {
    if (!(err instanceof MonitorUnreachableError)) throw err;
    throw new ReplayCliError(
      `${err.message}\nnpm start (pid ${target.pid}) should serve it: check MONITOR_PORT / MONITOR_HOST; if npm start is not running, its pid file is stale (the pid now belongs to another process): remove ${target.pidFile}`,
    );
  }
}

function parseFlags(args: string[]) {
  return parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      reason: { type: 'string' },
      topic: { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}
