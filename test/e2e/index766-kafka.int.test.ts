// The Decision 766 index end to end: catalog and DVCQG sync records of a province with departments (one
// with a sub-unit) and communes go through real Kafka, the real ingestor and the real aggregator (BullMQ
// on Redis, embedded ClickHouse); every component, group and total of the city and of each unit with its
// sub-units is read from kpi_latest and equals the values counted independently in index766-province.ts
// and scored by the reference scoring (score.ts).
import { randomUUID } from 'node:crypto';
import { type Aggregator, type AggregatorSettings, startAggregator } from '@dossier/aggregator';
import type { ClickHouse } from '@dossier/clickhouse';
import { startIngestor } from '@dossier/ingestor';
import { createHealth, createMetricsRegistry } from '@dossier/observability';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedRows, type IndexRow, readIndexRows } from '../../packages/kpi/test/index766-rows.ts';
import { testConfig } from '../../services/ingestor/test/factories.ts';
import { agencyEvents, catalogEvent } from '../support/catalog-events.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { testKafka } from '../support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { testLogger } from '../support/test-log.ts';
import { DOSSIERS, dvcqgRecord, expectedInputs, PERIOD, PROCEDURES, UNITS } from './index766-province.ts';

const SCOPES = ['city', ...UNITS.map((u) => `agency:${u.code}`)];
const prefix = uniquePrefix('index766');

let store: TestClickHouse;
let clickhouse: ClickHouse;
let producer: Producer;
let aggregator: Aggregator | undefined;
const stops: (() => Promise<void>)[] = [];

// The catalog as of the month the dossiers are in.
const CATALOG_TIME = '2026-11-01T08:00:00+07:00';

beforeAll(async () => {
  store = await createTestClickHouse();
  clickhouse = store.clickhouse;
  const tk = testKafka();
  const config = testConfig(tk.brokers);
  await tk.createTopics([
    config.TOPIC_EVENTS,
    config.TOPIC_DVCQG,
    config.TOPIC_CATALOG,
    config.TOPIC_DEAD_LETTER,
  ]);
  const ingestor = await startIngestor({
    config,
    logger: testLogger('ingestor', 'warn'),
    registry: createMetricsRegistry(),
    health: createHealth(),
    clickhouse,
    kafka: tk.kafka,
  });
  stops.push(() => ingestor.stop());
  producer = tk.kafka.producer();
  await producer.connect();
  stops.push(() => producer.disconnect());
  await producer.send({
    topic: config.TOPIC_CATALOG,
    acks: -1,
    messages: [
      ...agencyEvents(UNITS, CATALOG_TIME),
      ...PROCEDURES.map((p) =>
        catalogEvent(
          'procedure',
          p.code,
          {
            code: p.code,
            name: `Thủ tục ${p.code}`,
            field_code: 'G01-CA05',
            agency_code: p.agency,
            admin_levels: p.levels,
            online_eligible: true,
            online_class: p.online,
            full_process_eligible: p.online === 'full',
            fee_bearing: p.fee,
            online_payment: p.fee,
            dvcqg_integrated: true,
            valid_from: '2020-01-01',
            valid_to: null,
            paper_result_required: p.paper,
            serves: p.serves,
            ...(p.units.length > 0 ? { applied_units: p.units } : {}),
          },
          CATALOG_TIME,
        ),
      ),
    ],
  });
  await producer.send({
    topic: config.TOPIC_DVCQG,
    acks: -1,
    messages: DOSSIERS.map((spec, i) => {
      const record = dvcqgRecord(spec, i);
      return { key: String(record.MaHoSo), value: JSON.stringify(record) };
    }),
  });
  const settings: AggregatorSettings = {
    AGGREGATOR_INTERVAL_SECONDS: 1,
    AGGREGATOR_PERIOD_KINDS: ['month', 'quarter', 'year'],
    AGGREGATOR_SCOPE_KINDS: ['city', 'agency'],
    AGGREGATOR_QUEUE: `kpi-${randomUUID()}`,
    AGGREGATOR_PREFIX: prefix,
    AGGREGATOR_GRACE_MS: 60_000,
    AGGREGATOR_STALE_AFTER_INTERVALS: 600,
  };
  aggregator = await startAggregator({
    config: settings,
    logger: testLogger('aggregator', 'warn'),
    registry: createMetricsRegistry(),
    health: createHealth(),
    clickhouse,
    redis: { url: testRedisUrl() },
  });
  stops.push(async () => aggregator?.stop());
}, 300_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await deleteKeys(prefix);
  await store?.close();
});

/** Polls until every scope's rows equal the expected ones, or the deadline; returns the last rows read. */
async function settle(periodKind: string, start: string): Promise<Record<string, IndexRow[]>> {
  const deadline = Date.now() + 400_000;
  for (;;) {
    const read: Record<string, IndexRow[]> = {};
    for (const scope of SCOPES) read[scope] = await readIndexRows(clickhouse, scope, periodKind, start);
    const done = SCOPES.every(
      (s) => JSON.stringify(read[s]) === JSON.stringify(expectedRows(expectedInputs(unitOf(s)))),
    );
    if (done || Date.now() > deadline) return read;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const unitOf = (scope: string) => (scope === 'city' ? undefined : scope.slice('agency:'.length));

// Under a loaded machine the first cycles (a rebuild, then catalog and records arriving) take minutes.
describe('Decision 766 index through Kafka, the ingestor and the aggregator', { timeout: 480_000 }, () => {
  it('scores every component, group and total of November 2026 for the city and each unit with its sub-units', async () => {
    const read = await settle('month', PERIOD.month);
    const rejected = await clickhouse.query({
      query: 'SELECT reason_code, reason_text FROM dead_letters_v2 LIMIT 3',
      format: 'JSONEachRow',
    });
    expect(await rejected.json(), 'no input rejected').toEqual([]);
    for (const scope of SCOPES) {
      expect(read[scope], scope).toEqual(expectedRows(expectedInputs(unitOf(scope))));
    }
    // A few by hand: the city's 1.4 is 7 synchronised of 9 received (A not accepted, one only submitted).
    const city = Object.fromEntries(read.city!.map((r) => [r.kpi, r]));
    expect(city['index766.transparency.synchronised']).toMatchObject({
      numerator: 7,
      denominator: 9,
      score: 4.67,
    });
    expect(city['index766.total']).toMatchObject({ max_score: 74, reason: '' });
    expect(city['index766.transparency.published_on_time']).toMatchObject({ reason: 'no_external_figures' });
  });

  it('the current quarter holds the same values (the month is its only one with dossiers)', async () => {
    const read = await settle('quarter', PERIOD.quarter);
    for (const scope of SCOPES) {
      expect(read[scope], scope).toEqual(expectedRows(expectedInputs(unitOf(scope))));
    }
  });
});
