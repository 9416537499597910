// A KPI run in a process of its own, for kpi-claim-lease.int.test.ts (chDB binds a data directory to one
// process, so each step of the story is a process): `prepare` builds a first generation and inserts
// more events; `hang` claims the next generation, prints `claimed` and waits to be SIGKILLed; `cycle`
// runs cycles one interval apart, then checks the state and that a rebuild changes no value.
// Every line on stdout is one JSON object.

import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import {
  backfillKpis,
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  shiftMs,
  singleProcessLeases,
  verifyKpiState,
} from '@dossier/kpi';
import { Redis } from 'ioredis';
import { agency, dossierEvents, procedure } from '../../../packages/kpi/test/kpi-fixtures.ts';
import { redisLeases } from '../src/redis-leases.ts';

// leaseKind: `process` (embedded) or `redis` (distributed; LEASE_REDIS_URL and LEASE_PREFIX from the env).
const [mode, dir, leaseKind = 'process', runs = '1', intervalMs = '0', ttlMs = '2000'] =
  process.argv.slice(2);
const FIRST = '2026-03-02 03:00:00.000';
const SECOND = '2026-03-02 04:00:00.000';

const say = (line: object) => writeSync(1, `${JSON.stringify(line)}\n`);
const clickhouse = await createClickHouse({ url: `chdb:${dir}`, application: 'lease-child' });
const redis = leaseKind === 'redis' ? new Redis(process.env.LEASE_REDIS_URL ?? '') : undefined;
const leases = redis
  ? redisLeases(redis, { prefix: process.env.LEASE_PREFIX ?? '', ttlMs: Number(ttlMs) })
  : singleProcessLeases();
const options = { periodKinds: PERIOD_KINDS, scopeKinds: SCOPE_KINDS, graceMs: 0, leases };

if (mode === 'prepare') {
  await migrate(clickhouse);
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('A-PROV', 'province'), agency('A-COMM', 'commune')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-5', { max_processing_working_days: 5, online_class: 'full' }),
      procedure('P-FEE', { fee_bearing: 1, online_payment: 1, max_processing_working_days: 2 }),
    ],
    format: 'JSONEachRow',
  });
  const events = (prefix: string, received: string) =>
    [1, 2, 3, 4].flatMap((i) =>
      dossierEvents({
        code: `${prefix}-${i}`,
        agency: i % 2 ? 'A-PROV' : 'A-COMM',
        procedure: i % 2 ? 'P-5' : 'P-FEE',
        channel: i % 3 ? 'online' : 'direct',
        received,
        fee: i % 2 ? undefined : 20_000,
        paidOnline: i % 2 ? undefined : 1,
        ...(i < 3 ? { finished: { at: shiftMs(received, 30 * 60_000).slice(0, 16), kind: 'resolved' } } : {}),
      }),
    );
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: events('A', '2026-03-01 02:00'),
    format: 'JSONEachRow',
  });
  say(await runKpiCycle(clickhouse, { ...options, runId: randomUUID(), now: FIRST }));
  await clickhouse.insert({
    table: 'dossier_events_v1',
    values: events('B', '2026-03-02 02:00'),
    format: 'JSONEachRow',
  });
} else if (mode === 'hang') {
  const runId = randomUUID();
  say({ runId });
  await runKpiCycle(clickhouse, {
    ...options,
    runId,
    now: SECOND,
    trace: (label) => {
      // The first statement after the claim has applied the cells: the generation is half done.
      if (!label.startsWith('kpi_cells_v1 <-')) return;
      say({ claimed: runId });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
    },
  });
  say({ error: 'the run was not killed' });
} else if (mode === 'cycle') {
  for (let i = 0; i < Number(runs); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Number(intervalMs)));
    say(
      await runKpiCycle(clickhouse, {
        ...options,
        runId: randomUUID(),
        now: shiftMs(SECOND, (i + 1) * 60_000),
      }),
    );
  }
  say({ state: await verifyKpiState(clickhouse) });
  const rebuilt = await backfillKpis(clickhouse, {
    ...options,
    runId: randomUUID(),
    fromDate: '2026-02-01',
    toDate: '2026-03-02',
    now: shiftMs(SECOND, Number(runs) * 60_000),
  });
  say({ rebuilt });
}
redis?.disconnect();
await clickhouse.close();
