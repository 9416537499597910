import { join } from 'node:path';
import { createClickHouse, migrate } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import {
  type IngestorClickHouse,
  IngestorConfig,
  sealStoredDeadLetters,
  startIngestor,
} from '@dossier/ingestor';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { caughtUp } from '../pipeline.ts';
import type { FaultScenario } from '../scenario.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const networkError = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * ClickHouse refusing inserts for a while (connection refused before the insert), then timing out on
 * them (the insert lands, the acknowledgement is lost), alternating for each fault window, while the
 * ingestor consumes the suite's input. chDB runs inside the process that uses it, so the ingestor runs in
 * the suite's process here, on the real Kafka and an embedded ClickHouse, behind a client that fails on
 * purpose; KPIs are then computed from scratch by the judge and compared like every run's.
 */
export const clickhouseRefuses: FaultScenario = {
  name: 'clickhouse-refuses',
  description: 'ClickHouse refusing inserts, then timing out after taking them, for a while',
  iterations: { short: 2, long: 10 },
  async run(context) {
    const run = await context.newRun('clickhouse-refuses');
    const config = loadConfig(IngestorConfig, { ...run.env, RETRY_INITIAL_MS: '100', RETRY_MAX_MS: '1000' });
    const clickhouse = await createClickHouse({
      url: `chdb:${join(run.dataDir, 'clickhouse')}`,
      application: 'faults',
    });
    let mode: 'ok' | 'refuse' | 'timeout' = 'ok';
    let refused = 0;
    let timedOut = 0;
    let faults = 0;
    const flaky: IngestorClickHouse = {
      async insert(params) {
        if (mode === 'refuse') {
          refused += 1;
          throw networkError('connect ECONNREFUSED', 'ECONNREFUSED');
        }
        const result = await clickhouse.insert(params);
        if (mode === 'timeout') {
          timedOut += 1;
          throw networkError('socket hang up', 'ECONNRESET');
        }
        return result;
      },
    };
    const kafka = new Kafka({
      clientId: 'faults-ingestor',
      brokers: context.brokers,
      logLevel: logLevel.NOTHING,
    });
    try {
      await migrate(clickhouse);
      const logger = createLogger({ service: 'faults-ingestor', level: 'silent' });
      // As every composition root does after the migrations (the legacy dead_letters_v1 is sealed into v2
      // and dropped); without it this run's schema differs from the uninterrupted run's.
      await sealStoredDeadLetters(clickhouse, config, logger);
      // The first window opens before the ingestor starts, so its first insert meets it: a window timed from
      // the start alone can pass before the group has joined, or after a fast join has taken the whole input
      // (CI saw both windows meet no insert).
      mode = 'refuse';
      const ingestor = await startIngestor({
        config,
        logger,
        registry: createMetricsRegistry(),
        health: createHealth(),
        clickhouse: flaky,
        kafka,
      });
      try {
        for (let i = 0; i < context.iterations; i++) {
          const pause = context.rng.uniform(0, 500);
          if (i > 0) await sleep(pause);
          mode = i % 2 === 0 ? 'refuse' : 'timeout';
          await sleep(context.rng.uniform(1_000, 3_000));
          // A kind of fault no insert has met yet stays on until one does (the ingestor retries a refused
          // insert within RETRY_MAX_MS, so the timeout window after it meets the retry), up to a minute.
          const met = () => (mode === 'refuse' ? refused : timedOut) > 0;
          for (const until = Date.now() + 60_000; !met() && Date.now() < until; ) await sleep(50);
          mode = 'ok';
          faults += 1;
          context.log(`window ${i + 1}: ${i % 2 === 0 ? 'refused' : 'timed out'}`);
        }
        const topics = Object.values(context.input.topics);
        while (!(await caughtUp(kafka, run.groupId, topics).catch(() => false))) await sleep(500);
      } finally {
        await ingestor.stop();
      }
    } finally {
      await clickhouse.close();
    }
    const { kpiSamples, schemaDifferences, ...counts } = await context.compare(await run.judge());
    return {
      faultsInjected: faults,
      ...counts,
      details: { 'inserts refused': refused, 'inserts taken but not acknowledged': timedOut },
      problems: [
        ...(refused === 0 || (context.iterations > 1 && timedOut === 0)
          ? ['the faults never met an insert']
          : []),
        ...kpiSamples.map((s) => `KPI ${s}`),
        ...schemaDifferences.map((s) => `schema ${s}`),
      ],
    };
  },
};
