// One-shot migrator: `npm run migrate` (also the compose `migrator` job). Exits 1, naming every problem,
// when the database's applied migrations differ from the files.
import { ConfigError, loadConfig } from '@dossier/config';
import { createClickHouse } from './create-clickhouse.ts';
import { MIGRATIONS_DIR, migrate } from './migrate.ts';
import { MigratorConfig } from './migrator-config.ts';

let config: MigratorConfig;
try {
  config = loadConfig(MigratorConfig);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const clickhouse = await createClickHouse({ url: config.CLICKHOUSE_URL, application: 'dossier-migrator' });
try {
  const dir = config.MIGRATIONS_DIR ?? MIGRATIONS_DIR;
  const applied = await migrate(clickhouse, { dir, cluster: config.CLICKHOUSE_CLUSTER });
  console.log(
    JSON.stringify({ msg: 'migrations applied', applied, cluster: config.CLICKHOUSE_CLUSTER ?? null }),
  );
} catch (err) {
  console.error(JSON.stringify({ level: 'fatal', msg: 'migrations failed', err: String(err) }));
  process.exitCode = 1;
} finally {
  await clickhouse.close();
}
