import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { KpiRunResult, KpiStateCheck } from '@dossier/kpi';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from '../../../test/support/stale-dirs.ts';

// A KPI run SIGKILLed after it claimed a generation and applied part of it, then new runs in a new
// process (chDB binds a data directory to one process, which is also what makes a claim of an earlier
// process dead by construction in embedded mode).

const CHILD = fileURLToPath(new URL('./kpi-run-child.ts', import.meta.url));
const PREFIX = uniquePrefix('kpi-lease');
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

interface Child {
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  kill(): void;
  /** Resolves with the first line that has `key`. */
  line(key: string): Promise<Record<string, unknown>>;
}

function child(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: REPO,
    env: { ...process.env, LEASE_REDIS_URL: testRedisUrl(), LEASE_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  proc.stdout.on('data', (c: Buffer) => {
    buffer += c.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
      buffer = buffer.slice(nl + 1);
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

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await deleteKeys(PREFIX);
});

async function killedAfterClaim(leaseKind: 'process' | 'redis'): Promise<{ dir: string; runId: string }> {
  const dir = await mkdtemp(ownedTempPrefix(CHDB_DIR_PREFIX));
  dirs.push(dir);
  const prepared = child(['prepare', dir, leaseKind]);
  expect(await prepared.exited).toBe(0);
  expect(prepared.lines[0]).toMatchObject({ mode: 'rebuild' });
  const hanging = child(['hang', dir, leaseKind]);
  const { claimed } = await hanging.line('claimed');
  hanging.kill();
  expect(await hanging.exited).toBeNull();
  return { dir, runId: String(claimed) };
}

function expectExactAndRebuildChangesNothing(lines: Record<string, unknown>[]) {
  const { state } = lines.find((l) => 'state' in l) as { state: KpiStateCheck };
  expect(state.exact).toBe(true);
  const { rebuilt } = lines.find((l) => 'rebuilt' in l) as { rebuilt: KpiRunResult };
  expect(rebuilt).toMatchObject({ mode: 'rebuild', rowsWritten: 0 });
}

describe('a KPI run killed after its claim', { timeout: 300_000 }, () => {
  it('embedded: the next process finishes the dead claim in its first run, and counts it once', async () => {
    const { dir } = await killedAfterClaim('process');
    const next = child(['cycle', dir, 'process', '1']);
    expect(await next.exited).toBe(0);
    const [first] = next.lines as unknown as KpiRunResult[];
    // No waiting: a claim this process does not hold was left by a dead one.
    expect(first).toMatchObject({ mode: 'cycle' });
    expect(first?.skippedReason).toBeUndefined();
    expectExactAndRebuildChangesNothing(next.lines);
  });

  it('distributed: its lease lapses and a run one interval later computes', async () => {
    // Runs one interval apart, the lease lapsing a quarter interval after its last renewal (as the
    // aggregator sets them): of the first two runs after the kill, one computes.
    const ttlMs = 2_000;
    const { dir, runId } = await killedAfterClaim('redis');
    const next = child(['cycle', dir, 'redis', '2', String(4 * ttlMs), String(ttlMs)]);
    expect(await next.exited).toBe(0);
    const [first, second] = next.lines as unknown as KpiRunResult[];
    if (first?.mode === 'skipped') {
      expect(first.skippedReason).toContain(runId);
      expect(second).toMatchObject({ mode: 'cycle' });
    } else {
      expect(first).toMatchObject({ mode: 'cycle' });
    }
    expectExactAndRebuildChangesNothing(next.lines);
  });
});
