// One-shot migrator: `CLICKHOUSE_URL=… tsx packages/clickhouse/src/migrate.main.ts` (also the compose job).
import { createClickHouse } from './create-clickhouse.ts';
import { MIGRATIONS_DIR, migrate } from './migrate.ts';

const url = process.env.CLICKHOUSE_URL || 'chdb:./data/clickhouse';
const clickhouse = await createClickHouse({ url });
try {
  const applied = await migrate(clickhouse, process.env.MIGRATIONS_DIR || MIGRATIONS_DIR);
  console.log(JSON.stringify({ msg: 'migrations applied', applied }));
} finally {
  await clickhouse.close();
}
