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
  await clickhouse.insert({
    table: 'procedures_v1',
    values: SPREAD_PROCEDURES.map((code) => procedure(code, { max_processing_working_days: 5 })),
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

/** How many shards a run's claim records for its applies ('sharded-v2/<n>'); 0 for another format. */
async function shardsOf(runId: string): Promise<number> {
  const [claim] = await claimOf(runId);
  return Number(/^sharded-v2\/(\d+)$/.exec(claim?.apply_format ?? '')?.[1] ?? 0);
}

/**
 * A statement cap (bytes) the ~21,000 cells staged below do not fit in as one chunk (16,000 took 16–32 MiB)
 * and 2,000 do (4–8 MiB): the claim records a shard per 2,000 staged delta rows under it (shardsFor).
 */
const SMALL_CAP = 16_000_000;
const DAY_MS = 86_400_000;
const SPREAD_PROCEDURES = Array.from({ length: 100 }, (_, i) => `P-S${String(i).padStart(3, '0')}`);

/**
 * Dossiers received over the 100 days before `at` at both agencies under 100 procedures: a day cell each
 * (one per agency, procedure and day) and the months', quarters' and years' cells, staged by one cycle.
 */
function spread(prefix: string, at: string) {
  const combinations = 2 * SPREAD_PROCEDURES.length;
  return Array.from({ length: 100 * combinations }, (_, i) => ({
    code: `${prefix}-${i}`,
    agency: i % 2 === 0 ? 'A-PROV' : 'A-COMM',
    procedure: SPREAD_PROCEDURES[Math.floor(i / 2) % SPREAD_PROCEDURES.length],
    received: shiftMs(at, -(Math.floor(i / combinations) + 1) * DAY_MS).slice(0, 16),
  }));
}

async function expectExactState() {
  expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
}

/**
 * The client, with a statement cap of `cap` bytes on the applies of the staged cell deltas and on the
 * read that sizes their shards (as a small memory budget caps every pipeline statement), every other
 * statement as it was; `max_untracked_memory` small so that the engine counts every allocation.
 */
function cappedApplies(client: ClickHouse, cap: number): ClickHouse {
  const capped = (query: string) =>
    query.includes("role = 'delta'") &&
    (/INSERT INTO kpi_(cells|scope_cells|scope_procedures)_v1/.test(query) || query.includes('getSetting'));
  const settings = { max_memory_usage: String(cap), max_untracked_memory: '1024' };
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== 'command' && property !== 'query') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (params: { query: string; clickhouse_settings?: Record<string, unknown> }) =>
        value.call(
          target,
          capped(params.query)
            ? { ...params, clickhouse_settings: { ...params.clickhouse_settings, ...settings } }
            : params,
        );
    },
  });
}

describe('a pending generation that cannot be finished safely', () => {
  const cycle = (
    now: string,
    {
      client = clickhouse,
      ...extra
    }: Partial<Parameters<typeof runKpiCycle>[1]> & { client?: ClickHouse } = {},
  ) =>
    runKpiCycle(client, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now,
      graceMs: 0,
      ...extra,
    });

  /**
   * From a committed generation (whatever ran before), a cycle at `at` over `dossiers` on `client` that
   * dies once `dies` says so of a statement it traced (after the claim); its 'released' row dropped, as a
   * SIGKILL leaves it. Returns the dead run's id.
   */
  async function diedAfterClaim(
    at: string,
    dossiers: Parameters<typeof dossierEvents>[0][],
    dies: (label: string) => boolean,
    client = clickhouse,
  ): Promise<string> {
    await cycle(shiftMs(at, -60_000));
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossiers.flatMap(dossierEvents),
      format: 'JSONEachRow',
    });
    const runId = randomUUID();
    const died = cycle(at, {
      runId,
      client,
      trace: (label) => {
        if (dies(label)) throw new Error('process killed');
      },
    });
    await expect(died).rejects.toThrow('process killed');
    expect((await claimOf(runId)).map((c) => c.kind)).toEqual(['cycle']);
    await clickhouse.command({
      query: `ALTER TABLE kpi_cycles_v1 DELETE WHERE state = 'released' SETTINGS mutations_sync = 1`,
    });
    return runId;
  }

  const afterCellsApply = (label: string) => label.startsWith('kpi_cells_v1 <-');

  it('a generation claimed by code of another apply format is abandoned, not finished: the next run rebuilds', async () => {
    const at = '2026-03-02 15:00:00.000';
    const runId = await diedAfterClaim(
      at,
      [{ code: 'FORMAT-1', agency: 'A-PROV', procedure: 'P-5', received: '2026-03-02 14:00' }],
      afterCellsApply,
    );
    // Claimed by older code (before migration 0261 its claim had no format) and killed mid-apply: its
    // blocks are not this code's, so finishing it would apply its cells again.
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
    await diedAfterClaim(
      at,
      [{ code: 'MEMORY-1', agency: 'A-COMM', procedure: 'P-FEE', received: '2026-03-02 17:00' }],
      afterCellsApply,
    );
    // The run finishing it applies the cells under a limit their one chunk cannot fit in (it cannot spill).
    const warnings: string[] = [];
    {
      const failing = cycle(shiftMs(at, 60_000), {
        client: cappedApplies(clickhouse, 10_000),
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

  it('an apply whose one chunk exceeds the statement cap is cut into the shards its claim records: committed, exact, no rebuild', async () => {
    const at = '2026-03-04 15:00:00.000';
    await cycle(shiftMs(at, -60_000));
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: spread('SHARDED', at).flatMap(dossierEvents),
      format: 'JSONEachRow',
    });
    const runId = randomUUID();
    const warnings: string[] = [];
    const run = await cycle(at, {
      runId,
      client: cappedApplies(clickhouse, SMALL_CAP),
      onWarning: (message) => warnings.push(message),
    });
    expect(run.mode).toBe('cycle');
    expect(warnings).toEqual([]);
    expect(await shardsOf(runId)).toBeGreaterThan(1);
    await expectExactState();
    expect((await cycle(shiftMs(at, 60_000))).mode).toBe('cycle');
  });

  it('a run killed between two shards is finished by the next in the shards of its claim, whatever its own cap: exact', async () => {
    const at = '2026-03-05 15:00:00.000';
    let cellShards = 0;
    const runId = await diedAfterClaim(
      at,
      spread('KILLED', at),
      (label) => afterCellsApply(label) && ++cellShards === 2,
      cappedApplies(clickhouse, SMALL_CAP),
    );
    expect(await shardsOf(runId)).toBeGreaterThan(2);
    // Uncapped, this run would apply its own staged rows in one shard; the dead run's are applied in as
    // many as its claim says, so the two shards it wrote are skipped and the others written.
    const warnings: string[] = [];
    const next = await cycle(shiftMs(at, 60_000), {
      staleAfterMs: 0,
      onWarning: (message) => warnings.push(message),
    });
    expect(next.mode).toBe('cycle');
    expect(warnings).toEqual([]);
    await expectExactState();
  });
});
