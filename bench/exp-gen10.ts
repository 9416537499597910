import { createClickHouse, migrate } from '@dossier/clickhouse';
import { insertCatalog, insertDossiers } from './aggregate-data.ts';

const ch = await createClickHouse({ url: 'chdb:/tmp/exp/db10m', application: 'exp' });
await migrate(ch);
await insertCatalog(ch);
const start = new Date(Date.now() - 5 * 365 * 86400000).toISOString().replace('T', ' ').replace('Z', '');
for (let first = 0; first < 10_000_000; first += 2_000_000) {
  await insertDossiers(ch, { first, count: 2_000_000, startAt: start, spanSeconds: 5 * 365 * 86400 });
  console.log('generated', first + 2_000_000, new Date().toISOString());
}
await ch.close();
