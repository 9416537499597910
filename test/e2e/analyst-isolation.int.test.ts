import { readFileSync } from 'node:fs';
import { createClickHouse, openEmbeddedEngine, statementLimits } from '@dossier/clickhouse';
import { startIngestor } from '@dossier/ingestor';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '@dossier/kpi';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submittedEvents, testConfig, toMessage } from '../../services/ingestor/test/factories.ts';
import {
  AnalystsConfig,
  type AnalystsEndpoint,
  startAnalystsEndpoint,
} from '../../services/monitor/src/analysts/index.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { curl } from '../support/curl.ts';
import { testKafka } from '../support/kafka.ts';

const MiB = 2 ** 20;
/** The analysts' budget of this test: one query at a time, 96 MiB each. */
const ANALYST_QUERY_BYTES = 96 * MiB;
/** What the process may grow beyond it: the engine's spill buffers, thread stacks, the Node heap's churn. */
const MARGIN_BYTES = 400 * MiB;
const HEAVY = 'SELECT number, count() FROM numbers(300000000) GROUP BY number';

const rssBytes = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;

describe('an analyst cannot starve the pipeline', { timeout: 300_000 }, () => {
  let store: TestClickHouse;
  let endpoint: AnalystsEndpoint;
  let producer: Producer;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    store = await createTestClickHouse({ embedded: true });
    endpoint = await startAnalystsEndpoint({
      config: AnalystsConfig.parse({ ANALYSTS_PORT: '0', ANALYSTS_MAX_EXECUTION_TIME_S: '20' }),
      engine: await openEmbeddedEngine(store.url),
      logger: createLogger({ service: 'monitor', level: 'silent' }),
      registry: createMetricsRegistry(),
      budget: { analystSettings: statementLimits(ANALYST_QUERY_BYTES), analystsConcurrency: 1 },
    });
    stops.push(() => endpoint.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await store?.close();
  });

  it('refuses a memory-heavy GROUP BY with ClickHouse’s error while records flow, are stored and a KPI cycle completes', async () => {
    const tk = testKafka();
    const config = testConfig(tk.brokers);
    await tk.createTopics(
      [config.TOPIC_EVENTS, config.TOPIC_DVCQG, config.TOPIC_CATALOG, config.TOPIC_DEAD_LETTER],
      3,
    );
    // The pipeline's own client on the same engine, with the pipeline's limits on every statement.
    const pipeline = await createClickHouse({ url: store.url, settings: statementLimits(1024 * MiB) });
    stops.push(() => pipeline.close());
    const ingestor = await startIngestor({
      config,
      logger: createLogger({ service: 'ingestor', level: 'silent' }),
      registry: createMetricsRegistry(),
      health: createHealth(),
      clickhouse: pipeline,
      kafka: tk.kafka,
    });
    stops.push(() => ingestor.stop());
    producer = tk.kafka.producer();
    await producer.connect();
    stops.push(() => producer.disconnect());

    const before = rssBytes();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes());
    }, 100);
    const sent: string[] = [];
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        const batch = submittedEvents(50);
        await producer.send({ topic: config.TOPIC_EVENTS, messages: batch.map(toMessage), acks: -1 });
        sent.push(...batch.map((e) => e.id));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const heavy = curl(['--data-binary', HEAVY, `http://127.0.0.1:${endpoint.port}/`]);
    await new Promise((r) => setTimeout(r, 2_000));
    const cycle = await runKpiCycle(pipeline, {
      runId: 'isolation',
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      graceMs: 0,
    });
    const refused = await heavy;
    flowing = false;
    await flow;
    clearInterval(sampler);

    // ClickHouse's own error: the per-query memory cap, or the time limit the cap keeps it within.
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.headers['x-clickhouse-exception-code']).toMatch(/^(241|159)$/);
    expect(refused.body.toString()).toMatch(
      /^Code: (241|159)\. DB::Exception: .*\((MEMORY_LIMIT_EXCEEDED|TIMEOUT_EXCEEDED)\)/,
    );
    expect(cycle).toBeDefined();
    const stored = async () => {
      const rs = await pipeline.query({
        query: 'SELECT count() AS n FROM dossier_events_v1 WHERE event_id IN {ids:Array(String)}',
        query_params: { ids: sent },
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0]?.n);
    };
    for (let i = 0; i < 300 && (await stored()) < sent.length; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(await stored()).toBe(sent.length);
    console.log(
      JSON.stringify({
        analystQueryMiB: ANALYST_QUERY_BYTES / MiB,
        rssBeforeMiB: Math.round(before / MiB),
        rssPeakMiB: Math.round(peak / MiB),
        refusedWith: refused.headers['x-clickhouse-exception-code'],
        recordsDuringQuery: sent.length,
      }),
    );
    expect(peak - before).toBeLessThan(ANALYST_QUERY_BYTES + MARGIN_BYTES);
  });
});
