// `tsx bench/at-risk.bench.ts [dossiers] [--runs N]`: the early-warning list (#19) over a synthetic
// history in embedded chDB under the service's memory budget (bench/aggregate-data.ts: 5% of the dossiers
// never finish, so 10 million leave 500,000 open). Times GET /api/at-risk's own statements (atRiskSql):
// one unit's list (its counts by state and first page) and the whole city's counts by state, against
// one plain read of what the view reads (kpi_open_facts_v1, the raw limit), and what keeping the list
// fresh adds to a KPI cycle: dossiers_at_risk_v1 is computed on read over the open facts every cycle
// already maintains for the KPIs, so it adds no statement; the open facts' own upkeep is reported beside.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
import { atRiskSql } from '../services/monitor/src/routes/at-risk.route.ts';
import { insertCatalog, insertDossiers } from './aggregate-data.ts';

const FIVE_YEARS_MS = 5 * 365 * 86_400_000;
const round = (x: number) => Math.round(x * 1000) / 1000;

interface Timing {
  p50: number;
  p95: number;
  runs: number;
}

interface CycleUpkeep {
  seconds: number;
  /** Statements writing kpi_open_facts_v1, the table the list reads: the KPIs' own upkeep. */
  openFactsSeconds: number;
  /** Statements the list adds to the cycle: none, the view is computed on read. */
  addedSeconds: number;
}

export interface AtRiskBenchmarkResult {
  dossiers: number;
  openDossiers: number;
  /** The unit with the most open dossiers (the benchmark's agencies have no sub-units) and its count. */
  unit: { agency: string; open: number };
  unitListSeconds: Timing;
  cityCountsSeconds: Timing;
  /** One plain read of kpi_open_facts_v1 FINAL (best of three), and the timings as ratios to it. */
  rawOpenFactsReadSeconds: number;
  ratiosToRawOpenFactsRead: { unitListP95: number; cityCountsP95: number };
  keepingFresh: Record<'idleCycle' | 'incrementalCycle', CycleUpkeep>;
  targets: { unitListP95Seconds: number; cityCountsSeconds: number; addedCycleSeconds: number };
  loadAverage: number[];
}

async function timed(runs: number, run: () => Promise<unknown>): Promise<Timing> {
  await run(); // warm: the first read loads the marks and the calendar
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    await run();
    seconds.push((performance.now() - began) / 1000);
  }
  seconds.sort((a, b) => a - b);
  const rank = (q: number) => seconds[Math.min(seconds.length - 1, Math.ceil(q * seconds.length) - 1)]!;
  return { p50: round(rank(0.5)), p95: round(rank(0.95)), runs };
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

export async function runAtRiskBenchmark(dossiers: number, runs: number, log = console.error) {
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  const dir = await mkdtemp(join(tmpdir(), 'dossier-bench-at-risk-'));
  const clickhouse = await createClickHouse({
    url: `chdb:${dir}`,
    application: 'bench',
    settings: budget.pipelineSettings,
    engineArgs: budget.engineArgs,
  });
  try {
    await migrate(clickhouse);
    await insertCatalog(clickhouse);
    await insertDossiers(clickhouse, {
      first: 0,
      count: dossiers,
      startAt: formatUtc(Date.now() - FIVE_YEARS_MS),
      spanSeconds: FIVE_YEARS_MS / 1000,
    });
    log(`[bench:at-risk] ${dossiers} dossiers generated; first KPI cycle (rebuild)`);
    await cycle(clickhouse);
    const idleCycle = await cycle(clickhouse);
    await insertDossiers(clickhouse, {
      first: dossiers,
      count: 1_000,
      startAt: formatUtc(Date.now() - 3_600_000),
      spanSeconds: 3_000,
      prefix: 'N',
    });
    const incrementalCycle = await cycle(clickhouse);

    const [top] = (await read(
      clickhouse,
      `SELECT agency_code, toString(count()) AS n FROM kpi_open_facts_v1 FINAL
       GROUP BY agency_code ORDER BY count() DESC, agency_code LIMIT 1`,
      {},
    )) as { agency_code: string; n: string }[];
    const agency = top?.agency_code ?? '';
    const unitSql = atRiskSql(agency, undefined);
    const citySql = atRiskSql(undefined, undefined);
    const params = { agency, state: '', horizon: DEFAULT_HORIZON, limit: 100, offset: 0 };
    // As GET /api/at-risk?agency=… answers: the counts by state of the unit, then its first page.
    const unitListSeconds = await timed(runs, async () => {
      await read(clickhouse, unitSql.counts, params);
      await read(clickhouse, unitSql.page, params);
    });
    const cityCountsSeconds = await timed(Math.max(5, Math.round(runs / 2)), () =>
      read(clickhouse, citySql.counts, params),
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
    const result: AtRiskBenchmarkResult = {
      dossiers,
      openDossiers: Number(open?.n ?? 0),
      unit: { agency, open: Number(top?.n ?? 0) },
      unitListSeconds,
      cityCountsSeconds,
      rawOpenFactsReadSeconds: round(raw),
      ratiosToRawOpenFactsRead: {
        unitListP95: round(unitListSeconds.p95 / raw),
        cityCountsP95: round(cityCountsSeconds.p95 / raw),
      },
      keepingFresh: { idleCycle, incrementalCycle },
      targets: { unitListP95Seconds: 0.2, cityCountsSeconds: 1, addedCycleSeconds: 0.3 },
      loadAverage: loadavg().map(round),
    };
    return result;
  } finally {
    await clickhouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string' } },
  });
  const result = await runAtRiskBenchmark(Number(positionals[0] ?? 10_000_000), Number(values.runs ?? 20));
  console.log(JSON.stringify(result, null, 2));
}
