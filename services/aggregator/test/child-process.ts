import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A test's child process (`node --import tsx <script>`) whose stdout is JSON lines: the harness of the
// tests that SIGKILL a KPI run part way (kpi-claim-lease, rebuild-resume).

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export type Line = Record<string, unknown>;

export interface Child {
  /** Its JSON lines so far (other stdout lines are skipped). */
  lines: Line[];
  /** Everything it wrote to stdout. */
  stdout: () => string;
  exited: Promise<number | null>;
  kill(): void;
  /** Resolves with the first line that has `key`; rejects if the child exits first. */
  line(key: string): Promise<Line>;
}

export function runChild(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const waiting: { key: string; resolve: (l: Line) => void }[] = [];
  let out = '';
  let buffer = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  proc.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    buffer += c.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Line;
      lines.push(line);
      for (const w of waiting.filter((w) => w.key in line)) w.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr.slice(-4000));
      resolve(code);
    }),
  );
  return {
    lines,
    stdout: () => out,
    exited,
    kill: () => proc.kill('SIGKILL'),
    line: (key) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => key in l);
        if (seen) return resolve(seen);
        waiting.push({ key, resolve });
        void exited.then((code) =>
          reject(new Error(`child exited (${code}) before "${key}": ${stderr.slice(-2000)}`)),
        );
      }),
  };
}
