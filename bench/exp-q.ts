import { createClickHouse } from '@dossier/clickhouse';

const ch = await createClickHouse({ url: 'chdb:/tmp/exp/db1m', application: 'exp' });
const qs = process.argv.slice(2);
for (const q of qs) {
  const t = performance.now();
  const r = await ch.query({ query: q, format: 'JSONEachRow' });
  const rows = await r.json();
  console.log(((performance.now() - t) / 1000).toFixed(3), 's', JSON.stringify(rows).slice(0, 300));
}
await ch.close();
