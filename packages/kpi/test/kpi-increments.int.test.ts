import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import type { DossierEventRow } from '@dossier/schemas';
import { formatUtc, parseUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  backfillKpis,
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  shiftMs,
  verifyKpiState,
} from '../src/index.ts';
import { agency, type DossierSpec, dossierEvents, procedure } from './kpi-fixtures.ts';

// Incremental cycles against a recomputation from scratch: a seeded random agency workload (open and
// finished dossiers, supplements, due dates on period edges, late and duplicated events, facts a few
// minutes ahead of the cycle's instant, an agency changing level) is fed in batches while the cycles'
// instant moves over days, month, quarter and year ends. After every cycle the cells and open facts
// must equal a recomputation from the facts, and at the end rebuilding everything must change no value.

let test: TestClickHouse;
let clickhouse: ClickHouse;

const START = Date.parse('2025-12-27T00:00:00Z');
const STEPS = 18;
const DOSSIERS_PER_STEP = 9;

/** Mulberry32: a small seeded generator, so a failure replays exactly. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utc = formatUtc;
const HOUR = 3_600_000;

function workload(seed: number) {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const cycleTimes: number[] = [];
  let t = START;
  for (let i = 0; i < STEPS; i++) {
    // Mostly hours apart, sometimes days: crosses day, month (Jan), quarter and year ends.
    t += rnd() < 0.7 ? Math.floor(rnd() * 20 * HOUR) + 60_000 : Math.floor(rnd() * 4 * 24 * HOUR);
    cycleTimes.push(t);
  }
  const batches: DossierEventRow[][] = cycleTimes.map(() => []);
  let n = 0;
  for (const [step, at] of cycleTimes.entries()) {
    const previous = step === 0 ? START - 2 * 24 * HOUR : cycleTimes[step - 1]!;
    for (let k = 0; k < DOSSIERS_PER_STEP; k++) {
      n += 1;
      const received = previous + Math.floor(rnd() * (at - previous));
      const spec: DossierSpec = {
        code: `R${seed}-${n}`,
        agency: pick(['A-PROV', 'A-DIST', 'A-COMM']),
        procedure: pick(['P-5', 'P-NONE', 'P-FEE']),
        channel: rnd() < 0.6 ? 'online' : 'direct',
        received: utc(received),
        fee: rnd() < 0.5 ? pick([0, 20_000]) : undefined,
        paidOnline: rnd() < 0.4 ? (rnd() < 0.5 ? 1 : 0) : undefined,
        digitized: rnd() < 0.5,
      };
      // Due dates land on both sides of period edges; some dossiers have none (legal maximum or none).
      if (rnd() < 0.75) spec.due = utc(received + Math.floor(rnd() * 6 * 24 * HOUR));
      const supplements = rnd() < 0.3 ? 1 + Math.floor(rnd() * 2) : 0;
      const requested: string[] = [];
      const back: string[] = [];
      let s = received;
      for (let i = 0; i < supplements; i++) {
        s += Math.floor(rnd() * 30 * HOUR) + 60_000;
        requested.push(utc(s));
        if (rnd() < 0.7) {
          s += Math.floor(rnd() * 40 * HOUR) + 60_000;
          back.push(utc(s));
        }
      }
      if (requested.length) spec.supplements = { requested, received: back };
      if (rnd() < 0.7) {
        spec.finished = {
          at: utc(s + Math.floor(rnd() * 6 * 24 * HOUR) + 60_000),
          kind: pick(['resolved', 'resolved', 'result_returned', 'rejected', 'withdrawn'] as const),
        };
        if (rnd() < 0.5) spec.satisfied = rnd() < 0.8 ? 1 : 0;
      }
      for (const event of dossierEvents(spec)) {
        const occurred = parseUtc(event.occurred_at);
        // An event is sent once its fact happened (up to 5 minutes ahead: clock skew); some arrive late.
        let due = cycleTimes.findIndex((c) => c + 5 * 60_000 >= occurred);
        if (due < 0) continue;
        if (rnd() < 0.15) due = Math.min(STEPS - 1, due + 1 + Math.floor(rnd() * 4));
        batches[due]!.push(event);
        if (rnd() < 0.05) batches[Math.min(STEPS - 1, due + 1)]!.push(event);
      }
    }
  }
  return { cycleTimes, batches };
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [
      agency('A-PROV', 'province'),
      agency('A-DIST', 'district'),
      agency('A-COMM', 'commune'),
      // A-DIST becomes a commune-level agency on 1 January 2026 (the 2025 reorganisation, in miniature).
      agency('A-DIST', 'commune', { valid_from: '2026-01-01', version: 2 }),
    ],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-5', { max_processing_working_days: 5, online_class: 'full' }),
      procedure('P-NONE', { field_code: 'G13-TN02', online_class: 'partial' }),
      procedure('P-FEE', {
        field_code: 'G17-XD08',
        fee_bearing: 1,
        online_payment: 1,
        max_processing_working_days: 2,
      }),
    ],
    format: 'JSONEachRow',
  });
});

afterAll(async () => {
  await test?.close();
});

const NOTHING = { day: 0, month: 0, quarter: 0, year: 0 };

async function expectExactState(context?: string, dayHorizonDays?: number) {
  expect(await verifyKpiState(clickhouse, { dayHorizonDays }), context).toMatchObject({
    exact: true,
    cellsDiffering: NOTHING,
    openFactsDiffering: 0,
    liveCellsDiffering: NOTHING,
    storedLiveDiffering: NOTHING,
    scopeRowsDiffering: { cells: 0, procedures: 0 },
  });
}

// Each workload runs tens of cycles: 25–40 s alone, two to three times that on a machine shared with other
// test runs, and every cycle also scores the Decision 766 index (one statement of a few hundred ms to
// seconds under load). A timed-out test would leave its cycles running into the next one.
const WORKLOAD = { timeout: 1_800_000 };

describe('incremental cycles equal a recomputation from scratch', WORKLOAD, () => {
  it('after every cycle, and rebuilding at the end changes no value', async () => {
    const { cycleTimes, batches } = workload(20261126);
    for (const [step, at] of cycleTimes.entries()) {
      if (batches[step]!.length)
        await clickhouse.insert({
          table: 'dossier_events_v1',
          values: batches[step]!,
          format: 'JSONEachRow',
        });
      const run = await runKpiCycle(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        now: utc(at),
        graceMs: 0,
      });
      expect(run.mode).toBe(step === 0 ? 'rebuild' : 'cycle');
      await expectExactState(`after the cycle at ${utc(at)}`);
    }
    const last = utc(cycleTimes.at(-1)!);
    const rebuilt = await backfillKpis(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      fromDate: '2025-12-01',
      toDate: last.slice(0, 10),
      now: last,
    });
    expect(rebuilt.mode).toBe('rebuild');
    expect(rebuilt.periodsRecomputed).toBeGreaterThan(40);
    expect(rebuilt.rowsWritten).toBe(0);
  });

  it('a range recomputed from the stored facts changes no value either', async () => {
    const run = await backfillKpis(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      fromDate: '2025-12-20',
      toDate: '2026-01-31',
      refreshFacts: false,
    });
    expect(run.mode).toBe('range');
    expect(run.rowsWritten).toBe(0);
    expect(await verifyKpiState(clickhouse)).toMatchObject({ openFactsDiffering: 0 });
  });
});

describe('with a day horizon', WORKLOAD, () => {
  it('cells from the floor on stay exact while older days are left as they were', async () => {
    // Another workload over the same weeks: the first cycle's instant lies before the last one, so it
    // rebuilds; then the floor moves with every cycle and late events keep touching days below it.
    const { cycleTimes, batches } = workload(7);
    for (const [step, at] of cycleTimes.entries()) {
      if (batches[step]!.length)
        await clickhouse.insert({
          table: 'dossier_events_v1',
          values: batches[step]!,
          format: 'JSONEachRow',
        });
      await runKpiCycle(clickhouse, {
        runId: randomUUID(),
        periodKinds: PERIOD_KINDS,
        scopeKinds: SCOPE_KINDS,
        now: utc(at),
        graceMs: 0,
        dayHorizonDays: 5,
      });
      await expectExactState(`after the cycle at ${utc(at)}`, 5);
    }
  });
});

describe('crash safety', () => {
  const cycle = (now: string, extra: Partial<Parameters<typeof runKpiCycle>[1]> = {}) =>
    runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now,
      graceMs: 0,
      ...extra,
    });

  it('a run that dies after applying its cells is finished by a later run, and counts once', async () => {
    const at = '2026-03-02 03:00:00.000';
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: [
        ...dossierEvents({
          code: 'CRASH-1',
          agency: 'A-PROV',
          procedure: 'P-5',
          received: '2026-03-02 02:00',
        }),
        ...dossierEvents({
          code: 'CRASH-2',
          agency: 'A-COMM',
          procedure: 'P-FEE',
          received: '2026-02-20 02:00',
          finished: { at: '2026-03-01 09:00', kind: 'resolved' },
        }),
      ],
      format: 'JSONEachRow',
    });
    const died = cycle(at, {
      trace: (label) => {
        if (label.startsWith('kpi_cells_v1 <-')) throw new Error('process killed');
      },
    });
    await expect(died).rejects.toThrow('process killed');
    // A killed process records nothing: drop the release a failing run leaves for the next one.
    await clickhouse.command({
      query: "ALTER TABLE kpi_cycles_v1 DELETE WHERE state = 'released' SETTINGS mutations_sync = 1",
    });
    // Its generation is claimed and half applied: a run soon after stands aside...
    expect(await cycle(shiftMs(at, 60_000), { staleAfterMs: 24 * HOUR })).toMatchObject({ mode: 'skipped' });
    // ...and one after the claim went stale finishes it (applying the cells again adds nothing), then runs.
    const next = await cycle(shiftMs(at, 120_000), { staleAfterMs: 0 });
    expect(next.mode).toBe('cycle');
    await expectExactState();
    const rebuilt = await backfillKpis(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      fromDate: '2026-02-01',
      toDate: '2026-03-02',
      now: shiftMs(at, 120_000),
    });
    expect(rebuilt.rowsWritten).toBe(0);
  });

  it('a run that fails after its claim releases it: the next run finishes the generation at once', async () => {
    const at = '2026-03-02 09:00:00.000';
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents({
        code: 'FAIL-1',
        agency: 'A-PROV',
        procedure: 'P-FEE',
        received: '2026-03-02 08:00',
      }),
      format: 'JSONEachRow',
    });
    const failing = cycle(at, {
      trace: (label) => {
        if (label.startsWith('kpi_open_facts_v1 <-')) throw new Error('ClickHouse went away');
      },
    });
    await expect(failing).rejects.toThrow('ClickHouse went away');
    const next = await cycle(shiftMs(at, 60_000), { staleAfterMs: 24 * HOUR });
    expect(next.mode).toBe('cycle');
    await expectExactState();
  });

  it('a rebuild that fails is redone by the next run', async () => {
    const at = '2026-03-02 12:00:00.000';
    const failing = backfillKpis(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      fromDate: '2026-03-01',
      toDate: '2026-03-02',
      now: at,
      trace: (label) => {
        if (label.startsWith('kpi_cells_v1 <-')) throw new Error('out of memory');
      },
    });
    await expect(failing).rejects.toThrow('out of memory');
    const next = await cycle(shiftMs(at, 60_000), { staleAfterMs: 24 * HOUR });
    expect(next.mode).toBe('rebuild');
    await expectExactState();
  });

  it('a run stopped before it claimed its generation leaves nothing behind', async () => {
    const at = '2026-03-03 03:00:00.000';
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: dossierEvents({
        code: 'STOP-1',
        agency: 'A-DIST',
        procedure: 'P-NONE',
        received: '2026-03-03 01:00',
      }),
      format: 'JSONEachRow',
    });
    const controller = new AbortController();
    const stopped = cycle(at, {
      signal: controller.signal,
      trace: (label) => {
        if (label.startsWith('kpi_stage_cells_v1')) controller.abort();
      },
    });
    await expect(stopped).rejects.toThrow();
    const next = await cycle(shiftMs(at, 60_000));
    expect(next).toMatchObject({ mode: 'cycle', dossiersRefreshed: 1 });
    await expectExactState();
  });
});
