import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { port } from '@dossier/config';
import { z } from 'zod';

export const USAGE = `npm run index766:load -- --source TEXT [--dry-run] [--wait SECONDS] FILE.csv

Loads published Decision 766 figures (docs/input-contract.md) through the running monitor, which needs an
operator credential: MONITOR_ADMIN_TOKEN (or DATA_DIR/monitor-admin.token, as npm start writes it).
  --source    where the figures were published; stored with every row
  --dry-run   validate and compare with the stored figures, send nothing
  --wait      seconds to wait for the figures to be stored (default 60; 0: do not wait)
Each rejected line is printed with its reason; the exit status is 1 when a line was rejected, 2 when
the file or the request was refused as a whole.`;

export const LoadCliConfig = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  /** The monitor to ask; default http://MONITOR_HOST:MONITOR_PORT. */
  MONITOR_URL: z.url().optional(),
  MONITOR_PORT: port().default(8080),
  MONITOR_HOST: z.string().min(1).default('127.0.0.1'),
  MONITOR_ADMIN_TOKEN: z.string().min(1).optional(),
});
export type LoadCliConfig = z.output<typeof LoadCliConfig>;

/** The load was refused as a whole (flags, credentials, the file, the monitor); exit status 2. */
export class LoadCliError extends Error {
  override name = 'LoadCliError';
}

const LoadAnswer = z.object({
  loadId: z.string(),
  dryRun: z.boolean(),
  lines: z.number(),
  changed: z.number(),
  unchanged: z.number(),
  stored: z.number(),
  rejected: z.array(z.object({ line: z.number(), reason: z.string() })),
});
export type LoadAnswer = z.output<typeof LoadAnswer>;

export function monitorUrl(config: LoadCliConfig): string {
  if (config.MONITOR_URL) return config.MONITOR_URL;
  const host = ['0.0.0.0', '::', ''].includes(config.MONITOR_HOST) ? '127.0.0.1' : config.MONITOR_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.MONITOR_PORT}`;
}

export function adminToken(config: LoadCliConfig): string {
  const file = join(config.DATA_DIR, 'monitor-admin.token');
  const token = config.MONITOR_ADMIN_TOKEN ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  if (!token)
    throw new LoadCliError(
      `no operator credential: set MONITOR_ADMIN_TOKEN (or run npm start, which writes ${file})`,
    );
  return token;
}

/** Runs the command; returns its exit status (0 loaded, 1 some lines rejected). */
export async function runLoadCli(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void,
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  const OPTIONS = {
    source: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'string' },
    help: { type: 'boolean' },
  } as const;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new LoadCliError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.source?.trim())
    throw new LoadCliError(`expected --source and one CSV file\n\n${USAGE}`);
  const waitSeconds = values.wait === undefined ? 60 : Number(values.wait);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 600)
    throw new LoadCliError('--wait: expected whole seconds from 0 to 600');
  const file = positionals[0] as string;
  if (!existsSync(file)) throw new LoadCliError(`${file}: no such file`);
  const config = LoadCliConfig.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  const url = new URL('/api/index766/external', monitorUrl(config));
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken(config)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: values.source,
        csv: readFileSync(file, 'utf8'),
        dryRun: values['dry-run'] ?? false,
        waitSeconds,
      }),
    });
  } catch (err) {
    throw new LoadCliError(`cannot reach the monitor at ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status !== 200) {
    const message = (json as { message?: unknown } | undefined)?.message;
    throw new LoadCliError(
      `the monitor at ${url} answered ${res.status}: ${typeof message === 'string' ? message : text.slice(0, 500)}`,
    );
  }
  const answer = LoadAnswer.parse(json);
  for (const r of answer.rejected) print(`${file}:${r.line}: rejected: ${r.reason}`);
  const verb = answer.dryRun ? 'would store' : 'stored';
  const stored = answer.dryRun ? answer.changed : answer.stored;
  print(
    `${file}: ${answer.lines} lines; ${answer.changed} changed (${verb} ${stored}), ${answer.unchanged} unchanged, ${answer.rejected.length} rejected; load ${answer.loadId}`,
  );
  if (!answer.dryRun && waitSeconds > 0 && answer.stored < answer.changed)
    print(
      `${file}: ${answer.changed - answer.stored} figures not stored yet after ${waitSeconds} s: is the ingestor running?`,
    );
  return answer.rejected.length > 0 ? 1 : 0;
}
