import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { KpiRunResult } from '@dossier/kpi';
import { afterEach, describe, expect, it } from 'vitest';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from '../../../test/support/stale-dirs.ts';
import { type Child, type Line, runChild } from './child-process.ts';

// A full KPI rebuild (in slices of the dossiers) SIGKILLed part way, then the next process: it resumes
// from the last finished slice, kpi:verify finds the state exact, and a rebuild from scratch changes no
// value. While the rebuild is dead, kpi_latest serves the previous generation's values.

const CHILD = fileURLToPath(new URL('./rebuild-child.ts', import.meta.url));
const VERIFY = fileURLToPath(new URL('../src/verify.main.ts', import.meta.url));

const child = (args: string[]) => runChild(CHILD, args);
const find = (c: Child, key: string) => c.lines.find((l) => key in l) as Line;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function killedRebuild(prefix: string, nth: number) {
  const dir = await mkdtemp(ownedTempPrefix(CHDB_DIR_PREFIX));
  dirs.push(dir);
  const prepared = child(['prepare', dir]);
  expect(await prepared.exited).toBe(0);
  expect(find(prepared, 'first').first).toMatchObject({ mode: 'rebuild' });
  const before = find(prepared, 'latest').latest;

  const hanging = child(['hang', dir, prefix, String(nth)]);
  await hanging.line('stopped');
  hanging.kill();
  expect(await hanging.exited).toBeNull();

  const meanwhile = child(['snapshot', dir]);
  expect(await meanwhile.exited).toBe(0);
  const snapshot = find(meanwhile, 'latest') as { latest: unknown; steps: string[] };
  // The previous generation's values are what kpi_latest serves while the rebuild is dead.
  expect(snapshot.latest).toEqual(before);
  return { dir, before, stepsAtKill: snapshot.steps };
}

async function resumedAndExact(dir: string, before: unknown) {
  const resumed = child(['resume', dir]);
  expect(await resumed.exited).toBe(0);
  const {
    resumed: result,
    labels,
    latest,
  } = find(resumed, 'resumed') as {
    resumed: KpiRunResult;
    labels: string[];
    latest: unknown;
  };
  expect(result.mode).toBe('rebuild');
  expect(result.dossiersRefreshed).toBe(33_000);
  expect(latest).not.toEqual(before);

  const verify = runChild(VERIFY, ['--direct'], {
    CLICKHOUSE_URL: `chdb:${dir}`,
    AGGREGATOR_DAY_HORIZON_DAYS: '92',
  });
  expect(await verify.exited).toBe(0);
  expect(verify.stdout()).toContain('"msg":"kpi state exact"');

  const again = child(['again', dir]);
  expect(await again.exited).toBe(0);
  const { facts, again: rebuilt } = find(again, 'again') as {
    facts: { facts: string; dossiers: string };
    again: KpiRunResult;
  };
  expect(Number(facts.facts)).toBe(Number(facts.dossiers));
  expect(rebuilt).toMatchObject({ mode: 'rebuild', rowsWritten: 0 });
  return labels;
}

const SLICE = 'kpi_dossier_facts_v1 <- dossiers_v1 slice';

// Six processes per test, each loading chDB: at load 20–40 on 2 cores one test took over 15 minutes.
describe('a KPI rebuild SIGKILLed part way', { timeout: 1_800_000 }, () => {
  it('is resumed from its last finished slice by the next process, and the state is exact', async () => {
    const { dir, before, stepsAtKill } = await killedRebuild(SLICE, 3);
    // Killed after the third slice's facts were written and before that slice was recorded.
    expect(stepsAtKill).toContain('plan');
    const slices = stepsAtKill.filter((s) => s.startsWith('facts '));
    expect(slices).toHaveLength(2);
    const of = Number(slices[0]?.split('/')[1]);
    expect(of).toBeGreaterThanOrEqual(5);

    const labels = await resumedAndExact(dir, before);
    // Nothing emptied the facts again; the slices left were built, not the two recorded.
    expect(labels).not.toContain('kpi_dossier_facts_v1 <- ');
    expect(labels.filter((l) => l === SLICE)).toHaveLength(of - 2);
  });

  it('redoes the cells from the facts when killed while building them', async () => {
    const { dir, before, stepsAtKill } = await killedRebuild('kpi_cells_v1 <- ', 2);
    const slices = stepsAtKill.filter((s) => s.startsWith('facts '));
    expect(slices.length).toBe(Number(slices[0]?.split('/')[1]));
    expect(stepsAtKill).not.toContain('cells');

    const labels = await resumedAndExact(dir, before);
    expect(labels).not.toContain(SLICE);
    expect(labels).toContain('kpi_cells_v1 <- ');
  });
});
