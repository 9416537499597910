import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { adminToken, LoadCliConfig, monitorUrl } from '../index766/load-cli.ts';

export const USAGE = `npm run calendar:load -- [--dry-run] FILE.csv

Loads Viet Nam's working calendar (days off and weekend days worked in exchange; columns
date,kind,name,source, as packages/kpi/data/working-calendar-vn.csv) through the running monitor, which
needs an operator credential: MONITOR_ADMIN_TOKEN (or DATA_DIR/monitor-admin.token, as npm start writes
it). The load replaces the whole calendar of every year the file names.
  --dry-run   validate only, store nothing
Each rejected line is printed with its reason and nothing is stored; the exit status is 1 when a line
was rejected, 2 when the file or the request was refused as a whole.`;

/** The load was refused as a whole (flags, credentials, the file, the monitor); exit status 2. */
export class CalendarCliError extends Error {
  override name = 'CalendarCliError';
}

const Rejected = z.array(z.object({ line: z.number(), reason: z.string() }));
const LoadAnswer = z.object({
  loadId: z.string(),
  dryRun: z.boolean(),
  lines: z.number(),
  years: z.array(z.number()),
  holidays: z.number(),
  workingDays: z.number(),
  stored: z.number(),
});
const RejectedAnswer = z.object({
  error: z.literal('lines_rejected'),
  message: z.string(),
  rejected: Rejected,
});

/** Runs the command; returns its exit status (0 loaded, 1 lines rejected and nothing loaded). */
export async function runCalendarLoadCli(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void,
): Promise<number> {
  const OPTIONS = { 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new CalendarCliError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new CalendarCliError(`expected one CSV file\n\n${USAGE}`);
  const file = positionals[0] as string;
  if (!existsSync(file)) throw new CalendarCliError(`${file}: no such file`);
  const config = LoadCliConfig.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  let token: string;
  try {
    token = adminToken(config);
  } catch (err) {
    throw new CalendarCliError((err as Error).message);
  }
  const url = new URL('/api/working-calendar', monitorUrl(config));
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csv: readFileSync(file, 'utf8'), dryRun: values['dry-run'] ?? false }),
    });
  } catch (err) {
    throw new CalendarCliError(`cannot reach the monitor at ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status === 422) {
    const answer = RejectedAnswer.parse(json);
    for (const r of answer.rejected) print(`${file}:${r.line}: rejected: ${r.reason}`);
    print(`${file}: ${answer.message}`);
    return 1;
  }
  if (res.status !== 200) {
    const message = (json as { message?: unknown } | undefined)?.message;
    throw new CalendarCliError(
      `the monitor at ${url} answered ${res.status}: ${typeof message === 'string' ? message : text.slice(0, 500)}`,
    );
  }
  const answer = LoadAnswer.parse(json);
  print(
    `${file}: ${answer.lines} lines, years ${answer.years.join(', ')}: ${answer.holidays} days off, ${answer.workingDays} weekend days worked; ${answer.dryRun ? 'dry run, nothing stored' : `stored ${answer.stored}`}; load ${answer.loadId}`,
  );
  return 0;
}
