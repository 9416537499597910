import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/pretty-exit.ts', import.meta.url));

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function run(mode: 'throw' | 'sigterm'): Run {
  // Piped stdout: the fixture forces the pretty format, so the worker-thread transport is what runs.
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return {
    output: () => output,
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    kill: (signal) => child.kill(signal),
  };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
}

describe('pretty log transport at exit', () => {
  it('prints every line and the fatal one when an uncaught exception ends the process', async () => {
    const child = run('throw');
    expect(await child.exited).toBe(1);
    const lines = child.output().split('\n');
    expect(lines.filter((l) => / INFO: filler \{"i":\d+\}$/.test(l))).toHaveLength(2_000);
    expect(child.output()).toMatch(/ FATAL: uncaught exception\s*\n\s+err: \{/);
    expect(child.output()).toContain('boom at the end');
  });

  it('prints the shutdown lines when SIGTERM ends the process', async () => {
    const child = run('sigterm');
    await until(() => child.output().includes('waiting for a signal'));
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toMatch(/ INFO: shutting down \{"signal":"SIGTERM"\}/);
    expect(child.output()).toMatch(/ INFO: shutdown step done \{"step":"last-step"\}/);
  });
});
