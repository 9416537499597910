import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePorts } from '../support/free-port.ts';
import { testKafkaBrokers, uniqueName } from '../support/kafka.ts';
import { testRedisUrl } from '../support/redis.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const run = promisify(execFile);

export interface RunningCommand {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `npm start` in its own process group, so everything it spawned can be found and checked afterwards.
 * With `tty`, under a pseudo-terminal (util-linux `script`), as a person at a terminal runs it; the
 * command then runs in a session of its own, so stop it through its pid file.
 */
export function startRunCommand(env: NodeJS.ProcessEnv, options: { tty?: boolean } = {}): RunningCommand {
  const [command, args] = options.tty
    ? ['script', ['--quiet', '--return', '--command', 'npm start', '/dev/null']]
    : ['npm', ['start']];
  const child = spawn(command, args, {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * `npm start`'s environment on the shared test broker and Redis (no JVM to start), with topics, group
 * and aggregator prefix of its own, free ports, and embedded ClickHouse in `dataDir`.
 */
export async function sharedStackEnv(
  name: string,
  dataDir: string,
  prefix: string,
): Promise<NodeJS.ProcessEnv> {
  const [monitorPort, analystsPort] = await freePorts(2);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_GROUP_ID: uniqueName(name),
    TOPIC_EVENTS: uniqueName(`${name}-events`),
    TOPIC_DVCQG: uniqueName(`${name}-dvcqg`),
    TOPIC_CATALOG: uniqueName(`${name}-catalog`),
    TOPIC_DEAD_LETTER: uniqueName(`${name}-dead`),
    MONITOR_PORT: String(monitorPort),
    ANALYSTS_PORT: String(analystsPort),
    REDIS_URL: testRedisUrl(),
    AGGREGATOR_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
  delete env.CLICKHOUSE_URL;
  return env;
}

/** Polls until `check` returns a value; fails with the command's output tail when the cap is reached. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  cmd: RunningCommand,
  capMs: number,
): Promise<T> {
  const deadline = Date.now() + capMs;
  let exited = false;
  void cmd.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (exited || Date.now() > deadline) {
      throw new Error(
        `${what}: not reached${exited ? ' (the run command exited)' : ''}; output tail:\n${cmd.output().slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Polls a condition until it holds or the cap passes; returns whether it held. */
export async function eventually(check: () => boolean | Promise<boolean>, capMs: number): Promise<boolean> {
  const deadline = Date.now() + capMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return check();
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the all-in-one process itself (its pid file), as a supervisor would send it. */
export async function stopRunCommand(cmd: RunningCommand, dataDir: string): Promise<number | null> {
  const pid = Number(readFileSync(join(dataDir, 'all-in-one.pid'), 'utf8'));
  process.kill(pid, 'SIGTERM');
  return cmd.exited;
}

export async function javaBrokersOf(dataDir: string): Promise<string[]> {
  const { stdout } = await run('pgrep', ['-f', `kafka.Kafka ${dataDir}`]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((l) => l.trim() !== '');
}
