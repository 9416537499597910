// `npm run backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--kpi id]… [--direct]`
// Default: enqueue a backfill job for the running aggregators and wait for it (embedded chDB allows one
// process per data directory, so the running service must do the work). --direct computes in this process.
import { parseArgs } from 'node:util';
import { createClickHouse, isEmbeddedUrl, MemoryBudgetConfig, memoryBudgetOf } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { backfillKpis, singleProcessLeases } from '@dossier/kpi';
import { Redis } from 'ioredis';
import { AggregatorConfig } from './config.ts';
import { enqueueAndWait } from './enqueue.ts';
import { BackfillKpisData } from './jobs/backfill-kpis.job.ts';
import { redisLeases } from './redis-leases.ts';
import { leaseMs } from './run-jobs.ts';
import { BACKFILL_JOB_OPTIONS } from './schedulers.ts';

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    kpi: { type: 'string', multiple: true },
    direct: { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '3600' },
  },
});
const data = BackfillKpisData.parse({ from: values.from, to: values.to, kpis: values.kpi });
const config = loadConfig(AggregatorConfig);

if (values.direct) {
  const budget = memoryBudgetOf(loadConfig(MemoryBudgetConfig));
  const clickhouse = await createClickHouse({
    url: config.CLICKHOUSE_URL,
    application: 'aggregator-backfill',
    requestTimeoutMs: config.AGGREGATOR_STATEMENT_TIMEOUT_SECONDS * 1000,
    settings: budget.pipelineSettings,
    engineArgs: budget.engineArgs,
  });
  // Embedded: this process holds the data directory. Otherwise its claim is leased like the aggregators'.
  const redis = isEmbeddedUrl(config.CLICKHOUSE_URL) ? undefined : new Redis(config.REDIS_URL);
  try {
    const result = await backfillKpis(clickhouse, {
      runId: `backfill-${Date.now()}`,
      fromDate: data.from,
      toDate: data.to,
      kpiIds: data.kpis,
      periodKinds: config.AGGREGATOR_PERIOD_KINDS,
      scopeKinds: config.AGGREGATOR_SCOPE_KINDS,
      dayHorizonDays: config.AGGREGATOR_DAY_HORIZON_DAYS,
      leases: redis
        ? redisLeases(redis, {
            prefix: `${config.AGGREGATOR_PREFIX}:${config.AGGREGATOR_QUEUE}`,
            ttlMs: leaseMs(config.AGGREGATOR_INTERVAL_SECONDS),
          })
        : singleProcessLeases(),
    });
    console.log(JSON.stringify({ msg: 'backfill done', ...result }));
  } finally {
    redis?.disconnect();
    await clickhouse.close();
  }
} else {
  const result = await enqueueAndWait(config, {
    name: 'backfill-kpis',
    data,
    options: BACKFILL_JOB_OPTIONS,
    timeoutSeconds: Number(values['timeout-seconds']),
  });
  console.log(JSON.stringify({ msg: 'backfill done', ...(result as object) }));
}
