// A cycle whose live cells are the previous generation's plus its crossed dossiers' change no longer copies
// every live cell under its own id (migration 0251): it records the previous chain plus itself, and every
// reader sums the chain's rows. After each cycle of crossings, new data and a run killed after its claim,
// the live cells the generation records equal the open dossiers judged at its instant (verifyKpiState's
// storedLiveDiffering), the sums per scope written with a chain's base equal its cells (liveScopesDiffering)
// and every value equals a recomputation from scratch.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { backfillKpis, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { agency, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;
const WHOLE = ['kpi_stage_cells_v1 <- live', 'kpi_stage_cells_v1 <- live + crossed'];

let test: TestClickHouse;
let clickhouse: ClickHouse;

async function json<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** A cycle at `time` on city day 2026-03-10 (UTC): its run id, result and the labels of its statements. */
async function cycle(
  time: string,
  options: { liveChainLinks?: number; kill?: boolean; runId?: string } = {},
) {
  const runId = options.runId ?? randomUUID();
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    runId,
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `2026-03-10 ${time}:00.000`,
    graceMs: 0,
    staleAfterMs: 0,
    liveChainLinks: options.liveChainLinks,
    trace: (label) => labels.push(label),
    onPhase: (phase) => {
      if (options.kill && phase === 'claimed') throw new Error('killed after its claim');
    },
  });
  return { runId, result, labels };
}

/** The committed generation's live cells: its id, base and links, and how many 'live' rows it wrote. */
async function committedLive() {
  const [row] = await json<{ live_id: string; live_base: string; live_links: string[] }>(
    `SELECT live_id, live_base, live_links FROM kpi_cycles_v1 WHERE state = 'committed' ORDER BY gen DESC LIMIT 1`,
  );
  const [own] = await json<{ n: string; scopes: string }>(
    `SELECT countIf(role = 'live') AS n, countIf(role = 'scopes') AS scopes
    FROM kpi_stage_cells_v1 WHERE run_id = {id:String}`,
    { id: row?.live_id ?? '' },
  );
  return { ...row, ownLiveRows: Number(own?.n), ownScopeRows: Number(own?.scopes) };
}

/** The state equals its recomputation, the live cells the committed generation records included. */
async function expectExact(context: string) {
  expect(await verifyKpiState(clickhouse), context).toMatchObject({ exact: true });
}

/**
 * Every value equals a recomputation from scratch at `time`: a rebuild of March writes nothing. (A range
 * keeps no live cells: the cycle after it computes them whole.)
 */
async function expectAsRecomputed(time: string, context: string) {
  const rebuilt = await backfillKpis(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    fromDate: '2026-03-01',
    toDate: '2026-03-10',
    now: `2026-03-10 ${time}:00.000`,
  });
  expect(rebuilt.rowsWritten, `values after ${context}`).toBe(0);
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('PROV', 'province'), agency('COMM', 'commune', { parent_code: 'PROV' })],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-1', { agency_code: 'PROV', online_class: 'full', admin_levels: ['province'] }),
      procedure('P-2', { agency_code: 'COMM', fee_bearing: 1, admin_levels: ['commune'] }),
    ],
    format: 'JSONEachRow',
  });
  // Open dossiers whose due times pass one per hour from 03:00 (and at 07:25), in two agencies and
  // procedures; one without a due date that never turns.
  const dossiers = ['03', '04', '05', '06', '07', '08'].flatMap((hour, i) =>
    dossierEvents({
      code: `DUE-${hour}`,
      agency: i % 2 === 0 ? 'PROV' : 'COMM',
      procedure: i % 2 === 0 ? 'P-1' : 'P-2',
      channel: i % 3 === 0 ? 'online' : undefined,
      received: `2026-03-0${8 + (i % 2)} 01:00`,
      due: `2026-03-10 ${hour}:00`,
    }),
  );
  dossiers.push(
    ...dossierEvents({
      code: 'DUE-0725',
      agency: 'COMM',
      procedure: 'P-1',
      received: '2026-03-09 05:00',
      due: '2026-03-10 07:25',
    }),
  );
  dossiers.push(
    ...dossierEvents({ code: 'NODUE', agency: 'COMM', procedure: 'P-2', received: '2026-03-09 03:00' }),
  );
  await clickhouse.insert({ table: 'dossier_events_v1', values: dossiers, format: 'JSONEachRow' });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the live cells of a crossing cycle', () => {
  it(
    'are the previous chain plus its crossed rows, none copied, and are written whole again at the limit',
    async () => {
      const built = await cycle('02:00');
      expect(built.result.mode).toBe('rebuild');
      const base = await committedLive();
      expect(base).toMatchObject({ live_id: built.runId, live_base: '', live_links: [] });
      expect(base.ownLiveRows).toBeGreaterThan(0);
      // Written with its sums per scope, which the dossier values read instead of every live cell.
      expect(base.ownScopeRows).toBeGreaterThan(0);

      // DUE-03 turns late: the cycle stages its crossed rows and writes no live cell of its own.
      const first = await cycle('03:30');
      expect(first.labels).toContain('kpi_stage_cells_v1 <- crossed');
      for (const label of WHOLE) expect(first.labels).not.toContain(label);
      expect(await committedLive()).toMatchObject({
        live_id: first.runId,
        live_base: built.runId,
        live_links: [first.runId],
        ownLiveRows: 0,
        ownScopeRows: 0,
      });
      await expectExact('the first link');

      // A quiet cycle keeps the chain as it is; the next crossing adds itself to it.
      expect((await cycle('03:45')).result.periodsRecomputed).toBe(0);
      expect((await committedLive()).live_links).toEqual([first.runId]);
      const second = await cycle('04:30');
      expect(await committedLive()).toMatchObject({
        live_base: built.runId,
        live_links: [first.runId, second.runId],
        ownLiveRows: 0,
      });
      await expectExact('two links');

      // New data with the same periods starts from the chain too: the changed dossier's rows are links.
      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: dossierEvents({
          code: 'NEW',
          agency: 'PROV',
          procedure: 'P-1',
          received: '2026-03-10 04:40',
          due: '2026-03-10 09:00',
        }),
        format: 'JSONEachRow',
      });
      const arrived = await cycle('04:50');
      expect(arrived.result.dossiersRefreshed).toBe(1);
      expect((await committedLive()).live_links).toEqual([first.runId, second.runId, arrived.runId]);
      await expectExact('new data linked');

      // At the limit, the crossing cycle writes its live cells whole and starts a new chain.
      const whole = await cycle('05:30', { liveChainLinks: 3 });
      expect(whole.labels).toContain('kpi_stage_cells_v1 <- live + crossed');
      const rebased = await committedLive();
      expect(rebased).toMatchObject({ live_id: whole.runId, live_base: '', live_links: [] });
      expect(rebased.ownLiveRows).toBeGreaterThan(0);
      expect(whole.labels).toContain('kpi_stage_cells_v1 <- live scopes');
      expect(rebased.ownScopeRows).toBeGreaterThan(0);
      await expectExact('written whole at the limit');
      const next = await cycle('06:30');
      expect(await committedLive()).toMatchObject({ live_base: whole.runId, live_links: [next.runId] });
      await expectExact('a new chain');
      await expectAsRecomputed('06:30', 'a chain of crossings, new data and a chain written whole');
    },
    SLOW,
  );

  it(
    'of a run killed after its claim are never read: the generation is finished whole, and chains go on',
    async () => {
      // After the range above, the next crossing writes its live cells whole; the one after links to them.
      expect(await cycle('07:20')).toMatchObject({ result: { mode: 'cycle' } });
      expect((await committedLive()).ownLiveRows).toBeGreaterThan(0);
      const killed = randomUUID();
      await expect(cycle('07:30', { kill: true, runId: killed })).rejects.toThrow('killed after its claim');
      const [staged] = await json<{ n: string }>(
        `SELECT count() AS n FROM kpi_stage_cells_v1 WHERE run_id = {id:String} AND role = 'crossed'`,
        { id: killed },
      );
      expect(Number(staged?.n)).toBeGreaterThan(0);
      // The next run finishes the killed generation from every open dossier, then cycles on top of it.
      const next = await cycle('08:30');
      expect(next.result.mode).toBe('cycle');
      const after = await committedLive();
      expect(after.live_base).toBe(`${next.runId}:finishing`);
      expect(after.live_links).not.toContain(killed);
      expect(after.live_links).toEqual([next.runId]);
      await expectExact('a killed link');
      // The base's sums per scope are checked against its live cells: one sum off is found.
      await clickhouse.insert({
        table: 'kpi_stage_cells_v1',
        values: [
          {
            run_id: after.live_base,
            role: 'scopes',
            period_kind: 'day',
            period_start: '2026-03-10',
            admin_level: 'city',
            agency_code: '',
            field_code: '',
            procedure_code: '',
            c01: 1,
          },
        ],
        format: 'JSONEachRow',
      });
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: false, liveScopesDiffering: 1 });
      await expectAsRecomputed('08:30', 'a killed link');
    },
    SLOW,
  );
});
