// `tsx bench/generate.bench.ts [dossiers] [--shared]`: the aggregate bench's history generator alone
// (bench/aggregate-data.ts, #21), in a fresh embedded chDB directory under the default memory budget, as
// aggregate.bench.ts runs it: dossiers/s, CPU seconds per million, peak RSS while writing the slices and
// while merging the staging tables, and the load average. `--shared` runs the writers on one client (they
// take turns, as before each had a connection of its own), for a before/after on the same commit.

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClickHouse, MemoryBudgetConfig, memoryBudgetOf, migrate } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { cityHistory, insertCatalog, insertDossiers, openWriters } from './aggregate-data.ts';
import { rssSampler } from './rss.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { shared: { type: 'boolean', default: false } },
});
const dossiers = Number(positionals[0] ?? 2_000_000);
const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
const dir = await mkdtemp(join(tmpdir(), 'dossier-bench-gen-'));
const url = `chdb:${dir}`;
const clickhouse = await createClickHouse({
  url,
  application: 'bench',
  settings: budget.pipelineSettings,
  engineArgs: budget.engineArgs,
});
const writers = values.shared ? [] : await openWriters(url, budget.pipelineSettings);
const round = (x: number) => Math.round(x * 1000) / 1000;
try {
  await migrate(clickhouse);
  await insertCatalog(clickhouse);
  const loadBefore = loadavg().map(round);
  const rss = rssSampler();
  rss.phase('write');
  const began = performance.now();
  const cpu = process.cpuUsage();
  let writeSeconds = 0;
  // The engine's own accounting beside the RSS: what statements and merges hold, and what it tracks in all.
  const engine = { trackedMb: 0, statementsMb: 0, mergesMb: 0 };
  let generating = true;
  const traced = (async () => {
    while (generating) {
      const [row] = await (
        await clickhouse.query({
          query: `SELECT (SELECT value FROM system.metrics WHERE metric = 'MemoryTracking') AS tracked,
              (SELECT sum(memory_usage) FROM system.processes) AS statements,
              (SELECT sum(memory_usage) FROM system.merges) AS merges`,
          format: 'JSONEachRow',
        })
      ).json<{ tracked: string; statements: string; merges: string }>();
      const mb = (x: string | undefined) => Math.round(Number(x ?? 0) / 2 ** 20);
      engine.trackedMb = Math.max(engine.trackedMb, mb(row?.tracked));
      engine.statementsMb = Math.max(engine.statementsMb, mb(row?.statements));
      engine.mergesMb = Math.max(engine.mergesMb, mb(row?.merges));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await insertDossiers(clickhouse, {
    first: 0,
    count: dossiers,
    ...cityHistory(dossiers, Date.now()),
    writers,
    onSlice: (written) => {
      if (written < dossiers) return;
      writeSeconds = (performance.now() - began) / 1000;
      rss.phase('merge');
    },
  });
  const seconds = (performance.now() - began) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  generating = false;
  await traced;
  const peakRssMb = rss.stop();
  const [parts] = await (
    await clickhouse.query({
      query: `SELECT count() AS parts, sum(rows) AS rows FROM system.parts
        WHERE active AND database = currentDatabase() AND table = 'dossier_state_v1'`,
      format: 'JSONEachRow',
    })
  ).json<{ parts: number; rows: string }>();
  const cpuSeconds = (user + system) / 1e6;
  console.log(
    JSON.stringify(
      {
        dossiers,
        writers: values.shared ? 'shared' : writers.length,
        seconds: round(seconds),
        writeSeconds: round(writeSeconds),
        mergeSeconds: round(seconds - writeSeconds),
        dossiersPerSecond: Math.round(dossiers / seconds),
        cpuSeconds: round(cpuSeconds),
        cpuSecondsPerMillion: round(cpuSeconds / (dossiers / 1e6)),
        peakRssMb,
        peakEngineMb: engine,
        stateParts: Number(parts?.parts),
        stateRows: Number(parts?.rows),
        loadAverage: { before: loadBefore, after: loadavg().map(round) },
      },
      null,
      2,
    ),
  );
} finally {
  for (const writer of writers) await writer.close();
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
