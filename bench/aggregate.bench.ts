// `tsx bench/aggregate.bench.ts [dossiers] [--url chdb:<dir>|http…] [--verify]`: times KPI cycles over a
// synthetic five-year history ending now, in embedded chDB, with the service's defaults (every scope and
// period kind, 92-day day horizon). Each timed cycle starts once ClickHouse has no merge running (the
// steady state of an aggregator cycling every minute); the wait is reported. With --url pointing at a
// directory that already holds the history, generation is skipped and the KPI state is rebuilt.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClickHouse, createClickHouse, migrate } from '@dossier/clickhouse';
import { PERIOD_KINDS, periodStartOf, runKpiCycle, SCOPE_KINDS, shiftMs, verifyKpiState } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { insertCatalog, insertDossiers } from './aggregate-data.ts';

export interface AggregateBenchmarkOptions {
  dossiers?: number;
  /** Dossiers arriving before the incremental cycle (live) and again before the late-data cycle (old). */
  newDossiers?: number;
  /** As the aggregator's AGGREGATOR_DAY_HORIZON_DAYS (default 92). */
  dayHorizonDays?: number;
  /** `chdb:<dir>` (default: a temp dir, removed afterwards) or an http(s) ClickHouse URL. */
  clickhouseUrl?: string;
  /** Recompute every cell from the facts at the end and count those the increments got wrong. */
  verify?: boolean;
  log?: (line: string) => void;
}

export interface AggregateBenchmarkResult {
  dossiers: number;
  eventsPerSecondGenerated: number;
  generateSeconds: number;
  /** First cycle: every dossier's facts built and every period of every kind computed. */
  fullCycle: CycleFigures;
  /** Nothing new since the last cycle: only the current periods are recomputed. */
  idleCycle: CycleFigures;
  /** After `newDossiers` arrive for the last hour (live traffic). */
  incrementalCycle: CycleFigures;
  /** After `newDossiers` arrive for three weeks three years ago (late data; 5% of them still open). */
  lateDataCycle: CycleFigures;
  /** Nothing new, first cycle of the next city day: every open dossier's day row settles. */
  dayRolloverCycle: CycleFigures;
  /** Nothing new, the aggregator stopped until two minutes before the next new year: weeks of days settle. */
  catchUpCycle: CycleFigures;
  /** Nothing new, first cycle of the new year: day, month, quarter and year rows of every open dossier settle. */
  yearRolloverCycle: CycleFigures;
  /**
   * The raw limit a non-incremental cycle cannot beat, measured in the same run: one read of every
   * dossier's KPI facts (seconds), and each timed cycle as a ratio to it.
   */
  rawFactsReadSeconds: number;
  ratiosToRawFactsRead: Record<string, number>;
  /** Open dossiers (judged at every cycle's instant) and cells at the end. */
  openDossiers: number;
  cells: number;
  verification?: { seconds: number; cellsDiffering: Record<string, number>; openFactsDiffering: number };
  newDossiers: number;
  dayHorizonDays: number;
}

interface CycleFigures {
  seconds: number;
  /** CPU seconds of this process: embedded chDB runs in it, so this is steadier than wall time on a shared
   * machine (a remote server's work is not in it). */
  cpuSeconds: number;
  dossiersRefreshed: number;
  periodsRecomputed: number;
  rowsWritten: number;
  /** Seconds per statement label, summed over the cycle. */
  breakdown: Record<string, number>;
  /** Seconds waited before the cycle for ClickHouse's background merges to finish. */
  settleSeconds: number;
  mode: string;
}

export async function runAggregateBenchmark(
  options: AggregateBenchmarkOptions = {},
): Promise<AggregateBenchmarkResult> {
  const dossiers = options.dossiers ?? 10_000_000;
  const newDossiers = options.newDossiers ?? 1_000;
  const dayHorizonDays = options.dayHorizonDays ?? 92;
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = options.clickhouseUrl ? undefined : await mkdtemp(join(tmpdir(), 'dossier-bench-agg-'));
  const clickhouse = await createClickHouse({
    url: options.clickhouseUrl ?? `chdb:${dir}`,
    application: 'bench',
  });
  try {
    await migrate(clickhouse);
    const began = performance.now();
    const existing = await countRows(clickhouse, 'dossier_events_v1');
    if (existing > 0) {
      log(`[bench:aggregate] reusing ${existing} events; rebuilding the KPI state`);
      await clickhouse.command({ query: 'TRUNCATE TABLE kpi_cycles_v1' });
    } else {
      await insertCatalog(clickhouse);
      for (let first = 0; first < dossiers; first += 2_000_000) {
        await insertDossiers(clickhouse, {
          first,
          count: Math.min(2_000_000, dossiers - first),
          startAt: formatUtc(Date.now() - FIVE_YEARS_MS),
          spanSeconds: FIVE_YEARS_MS / 1000,
        });
        log(`[bench:aggregate] generated ${Math.min(first + 2_000_000, dossiers)} dossiers`);
      }
    }
    const generateSeconds = (performance.now() - began) / 1000;
    const events = await countRows(clickhouse, 'dossier_events_v1');
    const cycle = async (label: string, now?: string) => {
      const figures = await timedCycle(clickhouse, dayHorizonDays, now);
      log(
        `[bench:aggregate] ${label} cycle ${figures.seconds.toFixed(2)} s (cpu ${figures.cpuSeconds.toFixed(2)} s, settled ${figures.settleSeconds.toFixed(1)} s before)`,
      );
      return figures;
    };

    const fullCycle = await cycle('full');
    const idleCycle = await cycle('idle');
    await insertDossiers(clickhouse, {
      first: dossiers,
      count: newDossiers,
      startAt: formatUtc(Date.now() - 3_600_000),
      spanSeconds: 3_000,
      prefix: 'N',
    });
    const incrementalCycle = await cycle('incremental');
    await insertDossiers(clickhouse, {
      first: dossiers + newDossiers,
      count: newDossiers,
      startAt: formatUtc(Date.now() - 3 * 365 * 86_400_000),
      spanSeconds: 20 * 86_400,
      prefix: 'L',
    });
    const lateDataCycle = await cycle('late-data');
    const dayRolloverCycle = await cycle('day-rollover', nextCityDay(new Date()));
    const newYear = nextCityYear(new Date());
    const catchUpCycle = await cycle('catch-up', shiftMs(newYear, -180_000));
    const yearRolloverCycle = await cycle('year-rollover', newYear);
    const rawFactsReadSeconds = await rawFactsRead(clickhouse);
    const timed = {
      idleCycle,
      incrementalCycle,
      lateDataCycle,
      dayRolloverCycle,
      catchUpCycle,
      yearRolloverCycle,
    };
    const ratiosToRawFactsRead = Object.fromEntries(
      Object.entries(timed).map(([name, figures]) => [name, round(figures.seconds / rawFactsReadSeconds)]),
    );
    log(`[bench:aggregate] one read of every dossier's facts ${rawFactsReadSeconds} s`);
    const openDossiers = await countRows(clickhouse, 'kpi_open_facts_v1');
    const cells = await countRows(clickhouse, 'kpi_cells_v1');
    let verification: AggregateBenchmarkResult['verification'];
    if (options.verify) {
      const started = performance.now();
      const check = await verifyKpiState(clickhouse, { dayHorizonDays });
      verification = { seconds: round((performance.now() - started) / 1000), ...check };
      log(`[bench:aggregate] verification ${JSON.stringify(verification)}`);
    }
    return {
      dossiers,
      eventsPerSecondGenerated: Math.round(events / generateSeconds),
      generateSeconds: round(generateSeconds),
      fullCycle,
      idleCycle,
      incrementalCycle,
      lateDataCycle,
      dayRolloverCycle,
      catchUpCycle,
      yearRolloverCycle,
      rawFactsReadSeconds,
      ratiosToRawFactsRead,
      openDossiers,
      cells,
      verification,
      newDossiers,
      dayHorizonDays,
    };
  } finally {
    await clickhouse.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function timedCycle(
  clickhouse: ClickHouse,
  dayHorizonDays: number,
  now?: string,
): Promise<CycleFigures> {
  const settleSeconds = await settle(clickhouse);
  const breakdown: Record<string, number> = {};
  const began = performance.now();
  const cpu = process.cpuUsage();
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 0,
    dayHorizonDays,
    now,
    trace: (label, ms) => {
      breakdown[label] = round((breakdown[label] ?? 0) + ms / 1000);
    },
  });
  const { user, system } = process.cpuUsage(cpu);
  return {
    seconds: round((performance.now() - began) / 1000),
    cpuSeconds: round((user + system) / 1e6),
    mode: result.mode,
    dossiersRefreshed: result.dossiersRefreshed,
    periodsRecomputed: result.periodsRecomputed,
    rowsWritten: result.rowsWritten,
    breakdown,
    settleSeconds,
  };
}

/** Seconds to read every dossier's facts once (the latest version of each), the best of three. */
async function rawFactsRead(clickhouse: ClickHouse): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    await settle(clickhouse);
    const began = performance.now();
    const result = await clickhouse.query({
      query: `SELECT count(), sum(cityHash64(dossier_code, agency_code, procedure_code, start_at, finished_at))
        FROM kpi_dossier_facts_v1 FINAL`,
      format: 'JSONEachRow',
    });
    await result.json();
    best = Math.min(best, (performance.now() - began) / 1000);
  }
  return round(best);
}

/** Waits (up to 10 minutes) until ClickHouse runs no background merge; returns the seconds waited. */
async function settle(clickhouse: ClickHouse): Promise<number> {
  const began = performance.now();
  while (performance.now() - began < 600_000) {
    const result = await clickhouse.query({
      query: 'SELECT count() AS n FROM system.merges',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    if (Number(row?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return round((performance.now() - began) / 1000);
}

/** One minute past the next city midnight, as a UTC timestamp. */
function nextCityDay(at: Date): string {
  const today = periodStartOf('day', at);
  return formatUtc(Date.parse(`${today}T00:01:00+07:00`) + 86_400_000);
}

/** One minute past the next city new year, as a UTC timestamp. */
function nextCityYear(at: Date): string {
  const year = Number(periodStartOf('year', at).slice(0, 4)) + 1;
  return formatUtc(Date.parse(`${year}-01-01T00:01:00+07:00`));
}

async function countRows(
  clickhouse: ClickHouse,
  table: 'dossier_events_v1' | 'kpi_open_facts_v1' | 'kpi_cells_v1',
): Promise<number> {
  const result = await clickhouse.query({
    query: `SELECT count() AS n FROM ${table}${table === 'kpi_open_facts_v1' ? ' FINAL' : ''}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const FIVE_YEARS_MS = 5 * 365 * 86_400_000;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, verify: { type: 'boolean', default: false } },
  });
  const dossiers = Number(positionals[0] ?? 10_000_000);
  const result = await runAggregateBenchmark({ dossiers, clickhouseUrl: values.url, verify: values.verify });
  console.log(JSON.stringify(result, null, 2));
}
