// `tsx bench/kpi-equivalence.ts [--dossiers N] [--history-dir D] [--work-dir W] [--out F] [--verify every|last|none]
//   [--cycles N]` (--cycles: only the series' first N steps, the rebuild included: quick A/B of early cycles)
// `tsx bench/kpi-equivalence.ts --compare A.json B.json`
//
// The fixed-instant equivalence harness for KPI changes: one deterministic history (aggregate-data.ts, every
// value a function of the dossier's number and a fixed `now`), rebuilt at that instant, then a scripted
// series of cycles at fixed instants (SERIES). After each cycle: kpi_latest's row count and a hash over
// every row and column but computed_at, verifyKpiState's verdict, the cycle's wall and process CPU seconds,
// and CPU seconds per traced statement (the process's CPU between a statement's trace and the one before:
// the embedded engine runs in this process, so its merges land in whichever statement they overlap).
// Two checkouts compare on copies of one history: `--history-dir` generates it there once (in a child
// process: chDB opens one data directory per process) and each run copies it to `--work-dir` and rebuilds
// there; `--compare` says, cycle by cycle, whether the hashes are equal. How to A/B: bench/README.md.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClickHouse, migrate } from '@dossier/clickhouse';
import {
  type KpiStateCheck,
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  shiftMs,
  verifyKpiState,
} from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { LATE_SPAN_MS, nextCityDay, nextCityYear } from './aggregate-cycles.ts';
import { cityHistory, insertDossiers } from './aggregate-data.ts';
import { commitOf, openStore, writeCityHistory } from './aggregate-replay.ts';
import { settle } from './merges.ts';

/** The history's instant (UTC): a Thursday noon in the city, a week before its new year. */
export const HISTORY_AT = '2026-12-24 05:00:00.000';
const MINUTE = 60_000;
const ms = (at: string) => Date.parse(`${at.replace(' ', 'T')}Z`);
const DAY_HORIZON_DAYS = 92;

interface Step {
  label: string;
  /** The cycle's instant. */
  at: string;
  /** Dossiers inserted before it: received in the hour before `at`, or late (aggregate-cycles.ts lateData). */
  arrivals?: { count: number; late?: boolean };
}

/** The script: every kind of cycle, each at a fixed instant after the rebuild at HISTORY_AT. */
export function series(at = HISTORY_AT): Step[] {
  const t0 = ms(at);
  const plus = (ms: number) => shiftMs(at, ms);
  const day = nextCityDay(new Date(t0));
  const year = nextCityYear(new Date(t0));
  return [
    { label: 'rebuild', at },
    { label: 'idle', at: plus(MINUTE) },
    { label: 'idle', at: plus(2 * MINUTE) },
    { label: 'idle', at: plus(3 * MINUTE) },
    { label: '1,000 new', at: plus(4 * MINUTE), arrivals: { count: 1_000 } },
    { label: 'idle', at: plus(5 * MINUTE) },
    { label: '10 new', at: plus(6 * MINUTE), arrivals: { count: 10 } },
    { label: '1,000 late', at: plus(7 * MINUTE), arrivals: { count: 1_000, late: true } },
    { label: 'idle', at: plus(8 * MINUTE) },
    { label: 'idle an hour on', at: plus(68 * MINUTE) },
    { label: 'next city day', at: day },
    { label: 'idle', at: shiftMs(day, MINUTE) },
    { label: 'idle', at: shiftMs(day, 2 * MINUTE) },
    { label: 'catch-up to the new year', at: shiftMs(year, -4 * MINUTE) },
    { label: 'year rollover', at: year },
    { label: 'idle', at: shiftMs(year, MINUTE) },
  ];
}

export interface CycleRecord {
  label: string;
  at: string;
  mode: string;
  rows: number;
  /** Σ cityHash64 over kpi_latest's rows (every column but computed_at), as text. */
  hash: string;
  verify?: KpiStateCheck;
  wallSeconds: number;
  cpuSeconds: number;
  statements: Record<string, { cpuSeconds: number; wallSeconds: number; calls: number }>;
  /** Every statement the cycle sent to the engine (queries, commands, inserts), traced or not, in order. */
  sent?: string[];
}

export interface EquivalenceRun {
  commit: string;
  dossiers: number;
  historyAt: string;
  startedAt: string;
  loadAverage: { start: number[]; end: number[] };
  cycles: CycleRecord[];
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const log = (line: string) => console.error(`[kpi-equivalence] ${line}`);

const KPI_LATEST_HASH = `
SELECT count() AS rows, toString(sum(cityHash64(tuple(kpi, scope_kind, scope_code, period_kind, period_start,
  numerator, denominator, value, target, target_met, score, max_score, reason)))) AS hash
FROM kpi_latest`;

/**
 * Counts every statement sent through `clickhouse` while `sent` is set: each costs a fixed share (planning,
 * a part per insert), so a cycle's statement count is a figure of its own (#12, #15).
 */
function countStatements(clickhouse: ClickHouse): { sent?: string[] } {
  const counter: { sent?: string[] } = {};
  const short = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 72);
  for (const method of ['query', 'command', 'insert', 'exec'] as const) {
    const original = (clickhouse[method] as (params: unknown) => Promise<unknown>).bind(clickhouse);
    (clickhouse as unknown as Record<string, unknown>)[method] = (params: {
      query?: string;
      table?: string;
    }) => {
      counter.sent?.push(method === 'insert' ? `INSERT ${params.table}` : short(params.query ?? ''));
      return original(params);
    };
  }
  return counter;
}

async function runSeries(
  clickhouse: ClickHouse,
  dossiers: number,
  at: string,
  verify: string,
  cycles: number,
): Promise<CycleRecord[]> {
  const records: CycleRecord[] = [];
  const steps = series(at).slice(0, cycles);
  let next = dossiers;
  const counter = countStatements(clickhouse);
  for (const [i, step] of steps.entries()) {
    if (step.arrivals) {
      const { count, late } = step.arrivals;
      // Late receipts as the aggregate bench's (aggregate-cycles.ts lateData), from the instant's view.
      const end = ms(step.at) - 14 * 86_400_000;
      const historyStart = ms(cityHistory(dossiers, ms(at)).startAt);
      const start = Math.min(Math.max(historyStart, ms(step.at) - LATE_SPAN_MS), end - 86_400_000);
      const window = late
        ? { startAt: formatUtc(start), spanSeconds: Math.round((end - start) / 1000) }
        : { startAt: shiftMs(step.at, -3_600_000), spanSeconds: 3_000 };
      await insertDossiers(clickhouse, {
        first: next,
        count,
        now: step.at,
        prefix: late ? 'L' : 'N',
        ...window,
      });
      next += count;
    }
    await settle(clickhouse);
    const statements: CycleRecord['statements'] = {};
    const began = performance.now();
    const cpu = process.cpuUsage();
    let mark = process.cpuUsage();
    const sent: string[] = [];
    counter.sent = sent;
    const result = await runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      graceMs: 0,
      dayHorizonDays: DAY_HORIZON_DAYS,
      now: step.at,
      trace: (label, ms) => {
        const used = process.cpuUsage(mark);
        mark = process.cpuUsage();
        const s = statements[label] ?? { cpuSeconds: 0, wallSeconds: 0, calls: 0 };
        statements[label] = {
          cpuSeconds: round(s.cpuSeconds + (used.user + used.system) / 1e6),
          wallSeconds: round(s.wallSeconds + ms / 1000),
          calls: s.calls + 1,
        };
      },
    });
    const wallSeconds = round((performance.now() - began) / 1000);
    counter.sent = undefined;
    const used = process.cpuUsage(cpu);
    const [latest] = await (await clickhouse.query({ query: KPI_LATEST_HASH, format: 'JSONEachRow' })).json<{
      rows: string | number;
      hash: string;
    }>();
    const record: CycleRecord = {
      label: step.label,
      at: step.at,
      mode: result.mode,
      rows: Number(latest?.rows ?? 0),
      hash: latest?.hash ?? '',
      wallSeconds,
      cpuSeconds: round((used.user + used.system) / 1e6),
      statements,
      sent,
    };
    if (verify === 'every' || (verify === 'last' && i === steps.length - 1)) {
      record.verify = await verifyKpiState(clickhouse, { dayHorizonDays: DAY_HORIZON_DAYS });
    }
    log(
      `${i} ${step.label} @ ${step.at}: ${record.mode} ${record.wallSeconds} s (cpu ${record.cpuSeconds} s, ` +
        `${sent.length} statements), ` +
        `kpi_latest ${record.rows} rows hash ${record.hash}${record.verify ? ` exact ${record.verify.exact}` : ''}`,
    );
    records.push(record);
  }
  return records;
}

/** Cycle by cycle: equal row counts and hashes, verdicts, and CPU seconds side by side. Exit 1 on a difference. */
async function compare(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all(
    [a, b].map(async (f) => JSON.parse(await readFile(f, 'utf8')) as EquivalenceRun),
  );
  if (!ra || !rb) return false;
  console.log(`A ${a} (${ra.commit}, ${ra.dossiers} dossiers, load ${ra.loadAverage.start[0]})`);
  console.log(`B ${b} (${rb.commit}, ${rb.dossiers} dossiers, load ${rb.loadAverage.start[0]})`);
  let same =
    ra.cycles.length === rb.cycles.length && ra.historyAt === rb.historyAt && ra.dossiers === rb.dossiers;
  const n = Math.max(ra.cycles.length, rb.cycles.length);
  for (let i = 0; i < n; i++) {
    const [x, y] = [ra.cycles[i], rb.cycles[i]];
    const equal =
      x !== undefined && y !== undefined && x.at === y.at && x.rows === y.rows && x.hash === y.hash;
    const exact = [x, y].map((c) => (c?.verify ? (c.verify.exact ? 'exact' : 'NOT EXACT') : '-')).join('/');
    same &&= equal && !exact.includes('NOT');
    // The index off the running path: its statement, or its inputs stored and scored (index766-statement.ts).
    const index766 = [x, y]
      .map((c) => statementCpu(c, ['kpi_stage_values_v1 <- index766', 'index766 statement:']))
      .join('/');
    console.log(
      `${String(i).padStart(2)} ${(x ?? y)?.label.padEnd(26)} ${equal ? 'equal    ' : 'DIFFERENT'} ` +
        `rows ${x?.rows}/${y?.rows} verify ${exact} cpu ${x?.cpuSeconds}/${y?.cpuSeconds} s, ` +
        `statements ${x?.sent?.length ?? '-'}/${y?.sent?.length ?? '-'}, ` +
        `766 statement ${index766} s`,
    );
  }
  console.log(same ? 'every cycle equal' : 'DIFFERENT');
  return same;
}

/** CPU seconds of a cycle's statements whose label starts with one of `prefixes` ('-' when none ran). */
function statementCpu(cycle: CycleRecord | undefined, prefixes: readonly string[]): string {
  const cpu = Object.entries(cycle?.statements ?? {}).filter(([label]) =>
    prefixes.some((prefix) => label.startsWith(prefix)),
  );
  return cpu.length === 0 ? '-' : String(round(cpu.reduce((sum, [, s]) => sum + s.cpuSeconds, 0)));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      dossiers: { type: 'string', default: '1000000' },
      at: { type: 'string', default: HISTORY_AT },
      'history-dir': { type: 'string' },
      'work-dir': { type: 'string' },
      out: { type: 'string' },
      verify: { type: 'string', default: 'every' },
      cycles: { type: 'string', default: String(series().length) },
      compare: { type: 'boolean', default: false },
      'generate-only': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const dossiers = Number(values.dossiers);
  if (values.compare) {
    const [a, b] = positionals;
    if (!a || !b) throw new Error('--compare needs two JSON files');
    process.exitCode = (await compare(a, b)) ? 0 : 1;
    return;
  }
  const history = values['history-dir'];
  if (values['generate-only']) {
    if (!history) throw new Error('--generate-only needs --history-dir');
    const clickhouse = await openStore(history);
    try {
      await migrate(clickhouse);
      await writeCityHistory(clickhouse, history, dossiers, values.at);
    } finally {
      await clickhouse.close();
    }
    return;
  }
  const work = values['work-dir'] ?? `/tmp/kpi-equivalence-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  if (history) {
    if (!existsSync(history)) {
      await rm(`${history}.partial`, { recursive: true, force: true });
      log(`generating ${dossiers} dossiers at ${values.at} into ${history}`);
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          process.argv[1] ?? '',
          '--generate-only',
          '--history-dir',
          `${history}.partial`,
          '--dossiers',
          String(dossiers),
          '--at',
          values.at,
        ],
        { stdio: 'inherit' },
      );
      if (child.status !== 0) throw new Error(`generating the history failed (${child.status})`);
      await rename(`${history}.partial`, history);
    }
    await cp(history, work, { recursive: true });
  }
  const run: EquivalenceRun = {
    commit: commitOf(),
    dossiers,
    historyAt: values.at,
    startedAt: new Date().toISOString(),
    loadAverage: { start: loadavg().map(round), end: [] },
    cycles: [],
  };
  const clickhouse = await openStore(work);
  try {
    await migrate(clickhouse);
    if (!history) await writeCityHistory(clickhouse, work, dossiers, values.at);
    run.cycles = await runSeries(clickhouse, dossiers, values.at, values.verify, Number(values.cycles));
  } finally {
    await clickhouse.close();
    if (!values['work-dir']) await rm(work, { recursive: true, force: true });
  }
  run.loadAverage.end = loadavg().map(round);
  const json = JSON.stringify(run, null, 2);
  if (values.out) {
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, json);
  } else console.log(json);
}

await main();
