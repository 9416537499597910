import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type HeldUrlServer, startHeldUrlServer } from '../../../test/support/held-url-server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/held-shutdown.ts', import.meta.url));
const DEADLINE_MS = 3_000;
/** Generous: what is checked is that the process ends at all while the statement runs, not how fast. */
const MARGIN_MS = 15_000;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let child: ChildProcess | undefined;
let held: HeldUrlServer | undefined;
let dir: string | undefined;
afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  held?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(statement: string, on: 'client' | 'session'): { output: () => string; ended: Promise<Ended> } {
  dir = mkdtempSync(join(tmpdir(), 'stop-deadline-'));
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', FIXTURE, dir, statement, String(DEADLINE_MS), on],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return {
    output: () => output,
    ended: new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal }))),
  };
}

/** The process's end, or 'still running' once `ms` have passed. */
function endedWithin(ended: Promise<Ended>, ms: number): Promise<Ended | 'still running'> {
  return Promise.race([ended, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);
}

function lines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
}

describe("the all-in-one's shutdown deadline", () => {
  // Stopping npm start under load ran past its deadline and once hung in a futex wait (#15): process.exit
  // joins libuv's threads, and one of them was running a chDB statement that nothing can interrupt.
  it.each([
    { on: 'client', waitingFor: 'clickhouse' },
    { on: 'session', waitingFor: 'embedded-statements' },
  ] as const)(
    'ends the process when a statement on the $on outlasts it, and says what it waited for',
    async ({ on, waitingFor }) => {
      held = await startHeldUrlServer(600_000);
      const run = start(held.heldStatement, on);
      await held.reached();
      child?.kill('SIGTERM');
      const ended = await endedWithin(run.ended, DEADLINE_MS + MARGIN_MS);
      expect(ended, run.output()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(lines(run.output())).toContainEqual(
        expect.objectContaining({ msg: 'shutdown deadline passed, killing the process', waitingFor }),
      );
    },
  );

  it('exits 0 once a statement still running after the clients closed has ended', async () => {
    held = await startHeldUrlServer(600_000);
    const run = start(held.heldStatement, 'session');
    await held.reached();
    child?.kill('SIGTERM');
    await until(() => run.output().includes('"step":"clickhouse"'));
    held.release();
    expect(await run.ended, run.output()).toEqual({ code: 0, signal: null });
    const messages = lines(run.output()).map((l) => `${l.msg}${l.step ? ` ${l.step}` : ''}`);
    expect(messages.slice(messages.indexOf('shutting down'))).toEqual([
      'shutting down',
      'shutdown step done analysts',
      'shutdown step done clickhouse',
      'held statement done',
      'shutdown step done embedded-statements',
    ]);
  });
});
