// `node --import tsx tools/faults/src/judge.ts <clickhouse url> <judge instant> <out file>`: opens a
// stopped all-in-one's embedded ClickHouse (`chdb:<dir>`: chDB binds a data directory to one process,
// hence a process of its own) or a distributed run's server database (`http://…/<database>`), runs one KPI cycle judged at the suite's fixed instant (finishing any generation a killed run
// left), checks the incremental state against a recomputation, and writes stored dossiers and KPI values.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import {
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  shiftMs,
  singleProcessLeases,
  verifyKpiState,
} from '@dossier/kpi';

const [target, judgeAt, out] = process.argv.slice(2);
if (!target || !judgeAt || !out)
  throw new Error('usage: judge.ts <clickhouse url> <judge instant> <out file>');
// A bare path is a chDB directory.
const url = /^[a-z]+:/.test(target) ? target : `chdb:${target}`;
const clickhouse = await createClickHouse({ url, application: 'fault-judge' });
const rows = async <T>(query: string) => (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
try {
  // The schema as the run's last start left it, before anything here touches it: a start killed inside
  // its migrations must have been completed by the next one.
  const schema = await rows<{ name: string; definition: string }>(
    // Without the database's name, which differs between a chDB directory and a server's test database.
    `SELECT name, concat(engine, ' ', replaceAll(create_table_query, concat(currentDatabase(), '.'), '')) AS definition
     FROM system.tables
     WHERE database = currentDatabase()
     UNION ALL
     SELECT concat('schema_migrations ', toString(version)) AS name, concat(name, ' ', checksum) AS definition
     FROM schema_migrations FINAL
     ORDER BY name`,
  ).catch(() => []);
  // A run stopped before its migrations finished would leave them part applied (then the schema differs).
  await migrate(clickhouse);
  // As the aggregator runs it (defaults of AGGREGATOR_*): the comparison is about the same computation.
  const cycle = await runKpiCycle(clickhouse, {
    runId: `judge-${randomUUID()}`,
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    graceMs: 60_000,
    dayHorizonDays: 92,
    now: judgeAt,
    leases: singleProcessLeases(),
  });
  const state = await verifyKpiState(clickhouse, { dayHorizonDays: 92 });
  // Days older than the horizon at the judged instant are no longer maintained: their last values depend
  // on when each run's cycles ran, so only maintained periods are compared.
  const floor = shiftMs(judgeAt, -92 * 86_400_000).slice(0, 10);
  const dossiers = await rows<{ code: string; h: string }>(
    `SELECT dossier_code AS code, toString(cityHash64(toString(tuple(* EXCEPT (dossier_code, first_ingested_at, last_ingested_at))))) AS h
     FROM dossiers_v1 ORDER BY code`,
  );
  // A key whose dossiers all moved elsewhere stays in kpi_latest with 0/0 (a change log never forgets a
  // key), so which keys ever existed depends on arrival order (a dossier stored before its catalog row
  // counts in an empty field first). A 0/0 row says "no data", as no row does: both are left out.
  const kpis = await rows<{ k: string; v: string }>(
    `SELECT concat(kpi, '|', scope_kind, '|', scope_code, '|', period_kind, '|', toString(period_start)) AS k,
       concat(toString(numerator), '/', toString(denominator), '|', ifNull(toString(target), '-'), '|',
         ifNull(toString(score), '-')) AS v
     FROM kpi_latest
     WHERE (numerator != 0 OR denominator != 0) AND NOT (period_kind = 'day' AND period_start < toDate('${floor}'))
     ORDER BY k`,
  );
  const [events] = await rows<{ n: string }>('SELECT toString(count()) AS n FROM dossier_events_v1 FINAL');
  writeFileSync(
    out,
    JSON.stringify({
      cycle: { mode: cycle.mode, skippedReason: cycle.skippedReason },
      exact: state.exact,
      events: Number(events?.n ?? 0),
      dossiers: dossiers.map((d) => [d.code, d.h]),
      kpis: kpis.map((r) => [r.k, r.v]),
      schema: schema.map((t) => [t.name, t.definition]),
    }),
  );
} finally {
  await clickhouse.close();
}
