// `tsx bench/at-risk.bench.ts [dossiers] [--runs N] [--dir <path>]`: the early-warning list (#19) over a synthetic
// history in embedded chDB under the service's memory budget (bench/aggregate-data.ts: 5% of the dossiers
// never finish, so 10 million leave 500,000 open; agencies AG0–AG6 are made parents of the others, so a
// unit has sub-units). Times what GET /api/at-risk runs (readAtRisk): one unit's list (its counts by
// state and first page) for the busiest unit without sub-units and the busiest parent, and the whole
// city's counts by state, against one plain read of the open facts (the raw limit); and what keeping the
// list fresh adds to a KPI cycle: the statements writing dossiers_at_risk_open_v2 (the signed rows of the
// open dossiers that changed), beside the open facts' own upkeep. `targets` holds each figure against
// its target at 10M dossiers (500,000 open). With --dir the embedded database lives there and is kept:
// a later run with the same --dir migrates it, skips generating and times the reads again.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClickHouse,
  createClickHouse,
  MemoryBudgetConfig,
  memoryBudgetOf,
  migrate,
} from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { DEFAULT_HORIZON, PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { readAtRisk, readAtRiskCounts } from '../services/monitor/src/routes/at-risk.route.ts';
import { AGENCIES, insertCatalog, insertDossiers } from './aggregate-data.ts';

const FIVE_YEARS_MS = 5 * 365 * 86_400_000;
const round = (x: number) => Math.round(x * 1000) / 1000;

interface Timing {
  p50: number;
  p95: number;
  runs: number;
  /** CPU seconds of the process (the embedded engine is in it) per run: wall time is load-bound here. */
  cpuSecondsPerRun: number;
}

interface Verdict {
  seconds: number;
  target: number;
  met: boolean;
}

interface CycleUpkeep {
  seconds: number;
  /** Statements writing kpi_open_facts_v1, the table the list reads: the KPIs' own upkeep. */
  openFactsSeconds: number;
  /** Statements the list adds to the cycle: applying its signed rows to dossiers_at_risk_open_v2. */
  addedSeconds: number;
}

export interface AtRiskBenchmarkResult {
  dossiers: number;
  openDossiers: number;
  /** The unit without sub-units with the most open dossiers, and its count. */
  unit: { agency: string; open: number };
  unitListSeconds: Timing;
  /** The parent unit with the most open dossiers (its sub-units' included), and its list. */
  parentUnit: { agency: string; open: number };
  parentUnitListSeconds: Timing;
  cityCountsSeconds: Timing;
  /** One plain read of kpi_open_facts_v1 FINAL (best of three), and the timings as ratios to it. */
  rawOpenFactsReadSeconds: number;
  ratiosToRawOpenFactsRead: { unitListP95: number; cityCountsP95: number };
  keepingFresh: Record<'idleCycle' | 'incrementalCycle', CycleUpkeep>;
  /** Each figure against its target (set for 10M dossiers, 500,000 open): p95 of the unit lists, p95 of
   * the city's counts, the most the list added to the idle or incremental cycle. */
  targets: {
    unitListP95Seconds: Verdict;
    parentUnitListP95Seconds: Verdict;
    cityCountsSeconds: Verdict;
    addedCycleSeconds: Verdict;
  };
  /** CPU seconds of the whole run, and the load average at its start and end. */
  processCpuSeconds: number;
  loadAverage: { start: number[]; end: number[] };
}

async function timed(runs: number, run: () => Promise<unknown>): Promise<Timing> {
  await run(); // warm: the first read loads the marks and the calendar
  const seconds: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    await run();
    seconds.push((performance.now() - began) / 1000);
  }
  seconds.sort((a, b) => a - b);
  const rank = (q: number) => seconds[Math.min(seconds.length - 1, Math.ceil(q * seconds.length) - 1)]!;
  const used = process.cpuUsage(cpu);
  const cpuSecondsPerRun = round((used.user + used.system) / 1e6 / runs);
  return { p50: round(rank(0.5)), p95: round(rank(0.95)), runs, cpuSecondsPerRun };
}

async function read(
  clickhouse: ClickHouse,
  query: string,
  params: Record<string, unknown>,
): Promise<unknown[]> {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json();
}

async function cycle(clickhouse: ClickHouse): Promise<CycleUpkeep> {
  const breakdown: Record<string, number> = {};
  const began = performance.now();
  await runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 0,
    dayHorizonDays: 92,
    trace: (label, ms) => {
      breakdown[label] = (breakdown[label] ?? 0) + ms / 1000;
    },
  });
  const seconds = (performance.now() - began) / 1000;
  const upkeep = Object.entries(breakdown).filter(([label]) => label.startsWith('kpi_open_facts_v1'));
  const added = Object.entries(breakdown).filter(([label]) => label.includes('at_risk'));
  return {
    seconds: round(seconds),
    openFactsSeconds: round(upkeep.reduce((sum, [, s]) => sum + s, 0)),
    addedSeconds: round(added.reduce((sum, [, s]) => sum + s, 0)),
  };
}

/** AG0–AG6 become the parents of every other agency (AGn under AG(n mod 7)): units with sub-units. */
async function insertHierarchy(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.command({
    query: `INSERT INTO agencies_v1 (agency_code, name, admin_level, parent_code, valid_from, valid_to, version)
      SELECT concat('AG', toString(number)), concat('Agency ', toString(number)),
        if(number < 7, 'province', 'commune'), if(number < 7, NULL, concat('AG', toString(number % 7))),
        toDate('2020-01-01'), NULL, 2
      FROM numbers({n:UInt32})`,
    query_params: { n: AGENCIES },
  });
}

const verdict = (seconds: number, target: number): Verdict => ({ seconds, target, met: seconds <= target });

export async function runAtRiskBenchmark(
  dossiers: number,
  runs: number,
  log = console.error,
  keptDir?: string,
) {
  const cpuAtStart = process.cpuUsage();
  const loadAtStart = loadavg().map(round);
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  if (keptDir) await mkdir(keptDir, { recursive: true });
  const dir = keptDir ?? (await mkdtemp(join(tmpdir(), 'dossier-bench-at-risk-')));
  const clickhouse = await createClickHouse({
    url: `chdb:${dir}`,
    application: 'bench',
    settings: budget.pipelineSettings,
    engineArgs: budget.engineArgs,
  });
  try {
    await migrate(clickhouse);
    const [kept] = (await read(clickhouse, 'SELECT toString(count()) AS n FROM kpi_open_facts_v1', {})) as {
      n: string;
    }[];
    const reused = Number(kept?.n ?? 0) > 0;
    if (!reused) {
      await insertCatalog(clickhouse);
      await insertHierarchy(clickhouse);
      const startAt = formatUtc(Date.now() - FIVE_YEARS_MS);
      // stuckSince: 5% of all five years open, the list's population its figures were measured with.
      await insertDossiers(clickhouse, {
        first: 0,
        count: dossiers,
        startAt,
        spanSeconds: FIVE_YEARS_MS / 1000,
        stuckSince: startAt,
      });
      log(`[bench:at-risk] ${dossiers} dossiers generated; first KPI cycle (rebuild)`);
    } else log(`[bench:at-risk] reusing the database in ${dir}; first KPI cycle`);
    await cycle(clickhouse);
    const idleCycle = await cycle(clickhouse);
    await insertDossiers(clickhouse, {
      first: dossiers,
      count: 1_000,
      startAt: formatUtc(Date.now() - 3_600_000),
      spanSeconds: 3_000,
      prefix: reused ? `N${Date.now()}-` : 'N',
    });
    const incrementalCycle = await cycle(clickhouse);
    log('[bench:at-risk] cycles done; timing the reads');

    const busiest = async (parents: boolean) => {
      const [top] = (await read(
        clickhouse,
        `SELECT unit, toString(count()) AS n
         FROM (SELECT ${parents ? `if(toUInt32(substring(agency_code, 3)) < 7, agency_code, concat('AG', toString(toUInt32(substring(agency_code, 3)) % 7)))` : 'agency_code'} AS unit
               FROM kpi_open_facts_v1 FINAL WHERE received_at IS NOT NULL)
         GROUP BY unit ORDER BY count() DESC, unit LIMIT 1`,
        {},
      )) as { unit: string; n: string }[];
      return { agency: top?.unit ?? '', open: Number(top?.n ?? 0) };
    };
    const unit = await busiest(false);
    const parentUnit = await busiest(true);
    // As GET /api/at-risk?agency=… answers: the hierarchy, the counts by state of the unit, its first page.
    const list = (agency: string) => () =>
      readAtRisk(clickhouse, { agency, horizon: DEFAULT_HORIZON, page: 1, pageSize: 100 });
    const unitListSeconds = await timed(runs, list(unit.agency));
    const parentUnitListSeconds = await timed(runs, list(parentUnit.agency));
    const cityCountsSeconds = await timed(Math.max(5, Math.round(runs / 2)), () =>
      readAtRiskCounts(clickhouse, { horizon: DEFAULT_HORIZON }),
    );
    let raw = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const began = performance.now();
      await read(
        clickhouse,
        `SELECT count(), sum(cityHash64(dossier_code, agency_code, due_at, supplement_requested_at))
         FROM kpi_open_facts_v1 FINAL`,
        {},
      );
      raw = Math.min(raw, (performance.now() - began) / 1000);
    }
    const [open] = (await read(clickhouse, 'SELECT toString(count()) AS n FROM dossiers_at_risk_v1', {})) as {
      n: string;
    }[];
    const added = Math.max(idleCycle.addedSeconds, incrementalCycle.addedSeconds);
    const cpu = process.cpuUsage(cpuAtStart);
    const result: AtRiskBenchmarkResult = {
      dossiers,
      openDossiers: Number(open?.n ?? 0),
      unit,
      unitListSeconds,
      parentUnit,
      parentUnitListSeconds,
      cityCountsSeconds,
      rawOpenFactsReadSeconds: round(raw),
      ratiosToRawOpenFactsRead: {
        unitListP95: round(unitListSeconds.p95 / raw),
        cityCountsP95: round(cityCountsSeconds.p95 / raw),
      },
      keepingFresh: { idleCycle, incrementalCycle },
      targets: {
        unitListP95Seconds: verdict(unitListSeconds.p95, 0.2),
        parentUnitListP95Seconds: verdict(parentUnitListSeconds.p95, 0.2),
        cityCountsSeconds: verdict(cityCountsSeconds.p95, 1),
        addedCycleSeconds: verdict(added, 0.3),
      },
      processCpuSeconds: round((cpu.user + cpu.system) / 1e6),
      loadAverage: { start: loadAtStart, end: loadavg().map(round) },
    };
    return result;
  } finally {
    await clickhouse.close();
    if (!keptDir) await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string' }, dir: { type: 'string' } },
  });
  const result = await runAtRiskBenchmark(
    Number(positionals[0] ?? 10_000_000),
    Number(values.runs ?? 20),
    console.error,
    values.dir,
  );
  console.log(JSON.stringify(result, null, 2));
}
