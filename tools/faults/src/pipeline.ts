import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = join(REPO, 'services/all-in-one/src/main.ts');

export interface AllInOneOptions {
  dataDir: string;
  /** Variables on top of the suite's (brokers, Redis, topics, a queue prefix and group of this data dir). */
  env: NodeJS.ProcessEnv;
}

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

/** One service main (`node --import tsx <main.ts>`) in its own process group. */
export interface NodeProcess {
  readonly child: ChildProcess;
  /** Its JSON log lines so far. */
  readonly lines: LogLine[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line (from `from` on) that matches; rejects if the process exits first. */
  waitForLine(match: (line: LogLine) => boolean, from?: number): Promise<LogLine>;
  /** SIGKILL to the whole process group: nothing runs its shutdown. */
  kill(): Promise<void>;
  /** SIGTERM, as a supervisor stops it; resolves on exit. */
  stop(): Promise<number | null>;
  output(): string;
}

/** One `npm start` process (`node --import tsx services/all-in-one/src/main.ts`). */
export type AllInOne = NodeProcess;

export function startAllInOne(options: AllInOneOptions): AllInOne {
  const started = startNodeProcess(MAIN, { ...options.env, DATA_DIR: options.dataDir });
  return {
    ...started,
    // The all-in-one's own process, from its pid file.
    async stop() {
      const pid = Number(readFileSync(join(options.dataDir, 'all-in-one.pid'), 'utf8'));
      process.kill(pid, 'SIGTERM');
      return started.exited;
    },
  };
}

/** Starts `main` (a path relative to the repository, or absolute) with `env`, reading its JSON log lines. */
export function startNodeProcess(main: string, env: NodeJS.ProcessEnv, args: string[] = []): NodeProcess {
  return spawnNode(['--import', 'tsx', main, ...args], env, REPO);
}

/** `node <argv>` in `cwd` with `env` only (a bundle as the image runs it), reading its JSON log lines. */
export function spawnNode(argv: string[], env: NodeJS.ProcessEnv, cwd: string): NodeProcess {
  const main = argv.join(' ');
  const child = spawn(process.execPath, argv, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let text = '';
  let partial = '';
  const waiting: { match: (l: LogLine) => boolean; from: number; resolve: (l: LogLine) => void }[] = [];
  const onText = (chunk: Buffer) => {
    const s = chunk.toString();
    text = (text + s).slice(-200_000);
    partial += s;
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const raw = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!raw.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      const index = lines.length - 1;
      for (const w of waiting.splice(0)) {
        if (index >= w.from && w.match(line)) w.resolve(line);
        else waiting.push(w);
      }
    }
  };
  child.stdout?.on('data', onText);
  child.stderr?.on('data', onText);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pgid = child.pid;
  return {
    child,
    lines,
    exited,
    output: () => text,
    waitForLine(match, from = 0) {
      const seen = lines.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiting.push({ match, from, resolve });
        void exited.then((code) =>
          reject(new Error(`${main} exited (${code}) before the expected log line:\n${text.slice(-3000)}`)),
        );
      });
    },
    async kill() {
      if (pgid !== undefined) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Whether the group has committed every offset of `topics` up to their ends. */
export async function caughtUp(kafka: Kafka, groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const at = done.find((p) => p.partition === end.partition)?.offset ?? '-1';
        // Never committed on (-1): caught up only if the partition holds nothing to consume.
        if (Number(at === '-1' ? end.low : at) < Number(end.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
