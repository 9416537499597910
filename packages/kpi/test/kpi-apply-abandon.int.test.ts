// A pending generation the next run must not finish: claimed by code that cuts its applies into other
// insert blocks (APPLY_FORMAT; a re-run is deduplicated block by block, so it would count twice), or whose
// one-chunk apply does not fit in the statement's memory limit (it would fail on every run until its staged
// rows expire). Either is abandoned at once and the next run rebuilds, exactly.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, shiftMs, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

let test: TestClickHouse;
let clickhouse: ClickHouse;

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('A-PROV', 'province'), agency('A-COMM', 'commune')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-5', { max_processing_working_days: 5, online_class: 'full' }),
      procedure('P-FEE', { fee_bearing: 1, online_payment: 1, max_processing_working_days: 2 }),
    ],
    format: 'JSONEachRow',
  });
});

afterAll(async () => {
  await test?.close();
});

/** The claim rows of a run: what it claimed (a cycle, with staged rows), in which apply format. */
async function claimOf(runId: string) {
  const result = await clickhouse.query({
    query: `SELECT kind, apply_format FROM kpi_cycles_v1 WHERE run_id = {run:String} AND state = 'staged'`,
    query_params: { run: runId },
    format: 'JSONEachRow',
  });
  return result.json<{ kind: string; apply_format: string }>();
}

async function expectExactState() {
  expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
}

/**
 * The client, with a statement limit of 10 kB on the apply of the cell deltas (the engine's own
 * memory-limit error, as a big apply under a small budget gets), every other statement as it was.
 */
function tightApplies(client: ClickHouse): ClickHouse {
  return new Proxy(client, {
    get(target, property) {
      if (property !== 'command') {
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (params: Parameters<ClickHouse['command']>[0]) =>
        target.command(
          params.query.includes('INSERT INTO kpi_cells_v1') && params.query.includes('kpi_stage_cells_v1')
            ? {
                ...params,
                clickhouse_settings: {
                  ...params.clickhouse_settings,
                  max_memory_usage: '10000',
                  max_untracked_memory: '1024',
                },
              }
            : params,
        );
    },
  });
}

describe('a pending generation that cannot be finished safely', () => {
  const cycle = (now: string, extra: Partial<Parameters<typeof runKpiCycle>[1]> = {}) =>
    runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now,
      graceMs: 0,
      ...extra,
    });

  it('a generation claimed by code of another apply format is abandoned, not finished: the next run rebuilds', async () => {
    const at = '2026-03-02 15:00:00.000';
    // From a committed generation (whatever ran before), so that the run below stages a cycle.
    await cycle(shiftMs(at, -60_000));
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents({
        code: 'FORMAT-1',
        agency: 'A-PROV',
        procedure: 'P-5',
        received: '2026-03-02 14:00',
      }),
      format: 'JSONEachRow',
    });
    const runId = randomUUID();
    const died = cycle(at, {
      runId,
      trace: (label) => {
        if (label.startsWith('kpi_cells_v1 <-')) throw new Error('process killed');
      },
    });
    await expect(died).rejects.toThrow('process killed');
    expect((await claimOf(runId)).map((c) => c.kind)).toEqual(['cycle']);
    // Claimed by older code (before migration 0261 its claim had no format) and killed mid-apply: its
    // blocks are not this code's, so finishing it would apply its cells again.
    await clickhouse.command({
      query: `ALTER TABLE kpi_cycles_v1 DELETE WHERE state = 'released' SETTINGS mutations_sync = 1`,
    });
    await clickhouse.command({
      query: `ALTER TABLE kpi_cycles_v1 UPDATE apply_format = '' WHERE run_id = {run:String}
        SETTINGS mutations_sync = 1`,
      query_params: { run: runId },
    });
    const warnings: string[] = [];
    const next = await cycle(shiftMs(at, 60_000), {
      staleAfterMs: 0,
      onWarning: (message) => warnings.push(message),
    });
    expect(next.mode).toBe('rebuild');
    expect(warnings.join('\n')).toContain('another apply format');
    await expectExactState();
  });

  it('an apply past the memory limit abandons its generation at once: the next run rebuilds', async () => {
    const at = '2026-03-02 18:00:00.000';
    // From a committed generation (whatever ran before), so that the run below stages a cycle.
    await cycle(shiftMs(at, -60_000));
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents({
        code: 'MEMORY-1',
        agency: 'A-COMM',
        procedure: 'P-FEE',
        received: '2026-03-02 17:00',
      }),
      format: 'JSONEachRow',
    });
    const runId = randomUUID();
    const died = cycle(at, {
      runId,
      trace: (label) => {
        if (label.startsWith('kpi_cells_v1 <-')) throw new Error('process killed');
      },
    });
    await expect(died).rejects.toThrow('process killed');
    expect((await claimOf(runId)).map((c) => c.kind)).toEqual(['cycle']);
    await clickhouse.command({
      query: `ALTER TABLE kpi_cycles_v1 DELETE WHERE state = 'released' SETTINGS mutations_sync = 1`,
    });
    // The run finishing it applies the cells under a limit their one chunk cannot fit in (it cannot spill).
    const warnings: string[] = [];
    {
      const failing = runKpiCycle(tightApplies(clickhouse), {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        now: shiftMs(at, 60_000),
        graceMs: 0,
        staleAfterMs: 0,
        onWarning: (message) => warnings.push(message),
      });
      await expect(failing).rejects.toMatchObject({ type: 'MEMORY_LIMIT_EXCEEDED' });
    }
    expect(warnings.join('\n')).toContain('exceeded the memory limit');
    // Not finished again by the next run (it would fail the same way until the staged rows expire).
    const next = await cycle(shiftMs(at, 120_000), { staleAfterMs: 0 });
    expect(next.mode).toBe('rebuild');
    await expectExactState();
  });
});
