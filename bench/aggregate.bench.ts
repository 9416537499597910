// `tsx bench/aggregate.bench.ts [dossiers]`: times KPI cycles over a synthetic five-year history ending
// now, in embedded chDB, with the service's defaults (every scope and period kind, 92-day day horizon).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, createClickHouse, migrate } from '@dossier/clickhouse';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { insertCatalog, insertDossiers } from './aggregate-data.ts';

export interface AggregateBenchmarkOptions {
  dossiers?: number;
  /** Dossiers arriving before the incremental cycle (live) and again before the late-data cycle (old). */
  newDossiers?: number;
  /** As the aggregator's AGGREGATOR_DAY_HORIZON_DAYS (default 92). */
  dayHorizonDays?: number;
  /** `chdb:<dir>` (default: a temp dir, removed afterwards) or an http(s) ClickHouse URL. */
  clickhouseUrl?: string;
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
    await insertCatalog(clickhouse);
    const began = performance.now();
    for (let first = 0; first < dossiers; first += 2_000_000) {
      await insertDossiers(clickhouse, {
        first,
        count: Math.min(2_000_000, dossiers - first),
        startAt: isoUtc(Date.now() - FIVE_YEARS_MS),
        spanSeconds: FIVE_YEARS_MS / 1000,
      });
      log(`[bench:aggregate] generated ${Math.min(first + 2_000_000, dossiers)} dossiers`);
    }
    const generateSeconds = (performance.now() - began) / 1000;
    const events = await countRows(clickhouse, 'dossier_events_v1');

    const fullCycle = await timedCycle(clickhouse, dayHorizonDays);
    log(
      `[bench:aggregate] full cycle ${fullCycle.seconds.toFixed(2)} s (cpu ${fullCycle.cpuSeconds.toFixed(2)} s)`,
    );
    const idleCycle = await timedCycle(clickhouse, dayHorizonDays);
    log(
      `[bench:aggregate] idle cycle ${idleCycle.seconds.toFixed(2)} s (cpu ${idleCycle.cpuSeconds.toFixed(2)} s)`,
    );
    await insertDossiers(clickhouse, {
      first: dossiers,
      count: newDossiers,
      startAt: isoUtc(Date.now() - 3_600_000),
      spanSeconds: 3_000,
      prefix: 'N',
    });
    const incrementalCycle = await timedCycle(clickhouse, dayHorizonDays);
    log(
      `[bench:aggregate] incremental cycle ${incrementalCycle.seconds.toFixed(2)} s (cpu ${incrementalCycle.cpuSeconds.toFixed(2)} s)`,
    );
    await insertDossiers(clickhouse, {
      first: dossiers + newDossiers,
      count: newDossiers,
      startAt: isoUtc(Date.now() - 3 * 365 * 86_400_000),
      spanSeconds: 20 * 86_400,
      prefix: 'L',
    });
    const lateDataCycle = await timedCycle(clickhouse, dayHorizonDays);
    log(
      `[bench:aggregate] late-data cycle ${lateDataCycle.seconds.toFixed(2)} s (cpu ${lateDataCycle.cpuSeconds.toFixed(2)} s)`,
    );
    return {
      dossiers,
      eventsPerSecondGenerated: Math.round(events / generateSeconds),
      generateSeconds: round(generateSeconds),
      fullCycle,
      idleCycle,
      incrementalCycle,
      lateDataCycle,
      newDossiers,
      dayHorizonDays,
    };
  } finally {
    await clickhouse.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function timedCycle(clickhouse: ClickHouse, dayHorizonDays: number): Promise<CycleFigures> {
  const breakdown: Record<string, number> = {};
  const began = performance.now();
  const cpu = process.cpuUsage();
  const result = await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 0,
    dayHorizonDays,
    trace: (label, ms) => {
      breakdown[label] = round((breakdown[label] ?? 0) + ms / 1000);
    },
  });
  const { user, system } = process.cpuUsage(cpu);
  return {
    seconds: round((performance.now() - began) / 1000),
    cpuSeconds: round((user + system) / 1e6),
    dossiersRefreshed: result.dossiersRefreshed,
    periodsRecomputed: result.periodsRecomputed,
    rowsWritten: result.rowsWritten,
    breakdown,
  };
}

async function countRows(clickhouse: ClickHouse, table: 'dossier_events_v1'): Promise<number> {
  const result = await clickhouse.query({
    query: `SELECT count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const FIVE_YEARS_MS = 5 * 365 * 86_400_000;
const isoUtc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

if (import.meta.url === `file://${process.argv[1]}`) {
  const dossiers = Number(process.argv[2] ?? 10_000_000);
  console.log(JSON.stringify(await runAggregateBenchmark({ dossiers }), null, 2));
}
