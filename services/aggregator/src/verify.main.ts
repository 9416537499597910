// `npm run kpi:verify [-- --direct]`: checks the incremental KPI state (cells, open facts, the Decision 766
// running inputs) against a recomputation from the stored facts and exits 1 when anything differs.
// Default: enqueue a verify job for the running aggregators and wait for it; --direct reads ClickHouse
// from this process.
import { parseArgs } from 'node:util';
import { createClickHouse } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { verifyKpiState } from '@dossier/kpi';
import { AggregatorConfig } from './config.ts';
import { enqueueAndWait } from './enqueue.ts';

const { values } = parseArgs({
  options: {
    direct: { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '3600' },
  },
});
const config = loadConfig(AggregatorConfig);

let result: { exact?: boolean; check?: unknown };
if (values.direct) {
  const clickhouse = await createClickHouse({
    url: config.CLICKHOUSE_URL,
    application: 'aggregator-verify',
    requestTimeoutMs: config.AGGREGATOR_STATEMENT_TIMEOUT_SECONDS * 1000,
  });
  try {
    const check = await verifyKpiState(clickhouse, {
      dayHorizonDays: config.AGGREGATOR_DAY_HORIZON_DAYS,
      graceMs: config.AGGREGATOR_GRACE_MS,
    });
    result = { exact: check.exact, check };
  } finally {
    await clickhouse.close();
  }
} else {
  const job = (await enqueueAndWait(config, {
    name: 'verify-kpis',
    data: {},
    options: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
    timeoutSeconds: Number(values['timeout-seconds']),
  })) as { details?: typeof result };
  result = job.details ?? {};
}
console.log(JSON.stringify({ msg: result.exact ? 'kpi state exact' : 'kpi state differs', ...result }));
process.exitCode = result.exact ? 0 : 1;
