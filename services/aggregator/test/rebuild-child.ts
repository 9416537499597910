// A full KPI rebuild in a process of its own, for rebuild-resume.int.test.ts (chDB binds a data directory
// to one process, so each step of the story is a process): `prepare` generates a history, builds a first
// generation and adds more dossiers; `hang` starts a rebuild (the clock went back) and, after the n-th
// statement whose label starts with a prefix, prints `stopped` and waits to be SIGKILLed; `snapshot`
// prints what kpi_latest serves and the rebuild's recorded steps; `resume` runs the next cycle, which
// takes the dead rebuild over; `again` rebuilds once more from scratch at nearly the same instant.
// Every line on stdout is one JSON object.

import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, singleProcessLeases } from '@dossier/kpi';
import { insertCatalog, insertDossiers } from '../../../bench/aggregate-data.ts';

const [mode, dir, prefix = '', nth = '1'] = process.argv.slice(2);
const FIRST = '2026-03-02 03:00:00.000';
/** Before FIRST: the next cycle rebuilds everything (a clock that went back, as on a layout change). */
const BACK = '2026-03-01 03:00:00.000';

const say = (line: object) => writeSync(1, `${JSON.stringify(line)}\n`);
const clickhouse = await createClickHouse({ url: `chdb:${dir}`, application: 'rebuild-child' });
const options = {
  periodKinds: PERIOD_KINDS,
  scopeKinds: SCOPE_KINDS,
  graceMs: 0,
  leases: singleProcessLeases(),
  // As the aggregator's default AGGREGATOR_DAY_HORIZON_DAYS, which kpi:verify reads too.
  dayHorizonDays: 92,
  // Slices of a few granules of dossier_state_v1: about eight slices over this history.
  rebuildSliceDossiers: 6_000,
};

async function rows<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** What kpi_latest serves, without the instants and run ids of its computation. */
async function latest() {
  const [row] = await rows<{ n: string; h: string }>(
    `SELECT count() AS n, toString(groupBitXor(cityHash64(kpi, scope_kind, scope_code, period_kind,
       period_start, numerator, denominator, value, score))) AS h FROM kpi_latest`,
  );
  return row;
}

async function steps() {
  // The steps of the latest rebuild (the first generation's are there too).
  const recorded = await rows<{ step: string }>(
    `SELECT DISTINCT step FROM kpi_rebuild_steps_v1
     WHERE rebuild = (SELECT argMax(rebuild, done_at) FROM kpi_rebuild_steps_v1 WHERE step = 'plan')
     ORDER BY step`,
  );
  return recorded.map((r) => r.step);
}

if (mode === 'prepare') {
  await migrate(clickhouse);
  await insertCatalog(clickhouse);
  await insertDossiers(clickhouse, {
    first: 0,
    count: 30_000,
    startAt: '2025-01-01 00:00:00.000',
    spanSeconds: 300 * 86_400,
    // 5% open across the history (the generator's default keeps only the last 90 days' stuck).
    stuckSince: '2025-01-01 00:00:00.000',
  });
  say({ first: await runKpiCycle(clickhouse, { ...options, runId: randomUUID(), now: FIRST }) });
  say({ latest: await latest() });
  // Dossiers the next rebuild counts and the previous generation does not.
  await insertDossiers(clickhouse, {
    first: 0,
    count: 3_000,
    prefix: 'C',
    startAt: '2025-06-01 00:00:00.000',
    spanSeconds: 30 * 86_400,
    stuckSince: '2025-06-01 00:00:00.000',
  });
} else if (mode === 'hang') {
  let seen = 0;
  await runKpiCycle(clickhouse, {
    ...options,
    runId: randomUUID(),
    now: BACK,
    trace: (label) => {
      if (!label.startsWith(prefix) || ++seen < Number(nth)) return;
      // The statement ran and its step is not recorded yet: the kill lands inside the step.
      say({ stopped: label, seen });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300_000);
    },
  });
  say({ error: 'the run was not killed' });
} else if (mode === 'snapshot') {
  say({ latest: await latest(), steps: await steps() });
} else if (mode === 'resume') {
  const labels: string[] = [];
  const result = await runKpiCycle(clickhouse, {
    ...options,
    runId: randomUUID(),
    trace: (label) => labels.push(label),
  });
  say({ resumed: result, labels, steps: await steps(), latest: await latest() });
} else if (mode === 'again') {
  const [facts] = await rows<{ facts: string; dossiers: string }>(
    `SELECT (SELECT count() FROM kpi_dossier_facts_v1 FINAL) AS facts,
       (SELECT uniqExact(dossier_code) FROM dossier_state_v1) AS dossiers`,
  );
  // A rebuild from scratch, uninterrupted, one millisecond earlier (the clock going back again): every
  // dossier is finished or judged the same, so it writes no value that differs from the resumed one's.
  const again = await runKpiCycle(clickhouse, {
    ...options,
    runId: randomUUID(),
    now: '2026-03-01 02:59:59.999',
  });
  say({ facts, again });
}
await clickhouse.close();
