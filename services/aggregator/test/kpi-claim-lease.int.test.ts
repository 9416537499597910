import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { KpiRunResult, KpiStateCheck } from '@dossier/kpi';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from '../../../test/support/stale-dirs.ts';
import { type Child, runChild } from './child-process.ts';

// A KPI run SIGKILLed after it claimed a generation and applied part of it, then new runs in a new
// process (chDB binds a data directory to one process, which is also what makes a claim of an earlier
// process dead by construction in embedded mode).

const CHILD = fileURLToPath(new URL('./kpi-run-child.ts', import.meta.url));
const PREFIX = uniquePrefix('kpi-lease');

function child(args: string[]): Child {
  return runChild(CHILD, args, { LEASE_REDIS_URL: testRedisUrl(), LEASE_PREFIX: PREFIX });
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
