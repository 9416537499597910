import { randomUUID } from 'node:crypto';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { insertCatalog, insertDossiers } from './aggregate-data.ts';

const ch = await createClickHouse({ url: 'chdb:/tmp/exp/db1m', application: 'exp' });
await migrate(ch);
await insertCatalog(ch);
await insertDossiers(ch, {
  first: 0,
  count: 1_000_000,
  startAt: new Date(Date.now() - 5 * 365 * 86400000).toISOString().replace('T', ' ').replace('Z', ''),
  spanSeconds: 5 * 365 * 86400,
});
const r = await runKpiCycle(ch, {
  runId: randomUUID(),
  periodKinds: PERIOD_KINDS,
  scopeKinds: SCOPE_KINDS,
  graceMs: 0,
  dayHorizonDays: 92,
});
console.log(r);
await ch.close();
