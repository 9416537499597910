// A past period judged by the appointment in force at its end, end to end: DVCQG sync records and
// canonical events go through real Kafka, the real ingestor and the real aggregator (BullMQ on Redis,
// embedded ClickHouse). Two dossiers were already past their appointment at the end of October when the
// agency asked for a supplement (in November) and re-issued the appointment on its receipt: October
// counts them late, though their re-issued appointments are later and they finished by them.
import { randomUUID } from 'node:crypto';
import { type Aggregator, type AggregatorSettings, startAggregator } from '@dossier/aggregator';
import type { ClickHouse } from '@dossier/clickhouse';
import { startIngestor } from '@dossier/ingestor';
import { verifyKpiState } from '@dossier/kpi';
import { createHealth, createMetricsRegistry } from '@dossier/observability';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEvent, PROCEDURE, testConfig } from '../../services/ingestor/test/factories.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { testKafka } from '../support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { testLogger } from '../support/test-log.ts';

const prefix = uniquePrefix('reissued');
const ms = (local: string) => Date.parse(`${local}+07:00`);

/** A DVCQG snapshot of a dossier of agency H29.901 received in October 2026 (times yyyyMMddHHmmss, city time). */
function record(code: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    MaHoSo: code,
    MaTTHC: PROCEDURE,
    KenhThucHien: 1,
    LoaiDoiTuong: 1,
    ...fields,
  };
}

// A: the final snapshot only. Due 29 October; the supplement asked for on 3 November, received on 10
// November, when the appointment was re-issued for 20 November (NgayHenTraTruoc keeps the first one);
// resolved on 18 November.
const A = record('H29.901-261020-0001', {
  TrangThaiHoSo: 9,
  NgayNopHoSo: '20261020090000',
  NgayTiepNhan: '20261020090000',
  NgayHenTra: '20261120170000',
  DanhSachHoSoBoSung: [
    {
      NgayBoSung: '20261103090000',
      NgayTiepNhanBoSung: '20261110090000',
      NgayHenTraTruoc: '20261029170000',
      NgayHenTraMoi: '20261120170000',
    },
  ],
  NgayKetThucXuLy: '20261118100000',
});
// C: the same shape, but the supplement was asked for on 27 October, before the appointment (30
// October): awaited at the end of October, the clock was paused, so on time then as well.
const C = record('H29.901-261021-0002', {
  TrangThaiHoSo: 9,
  NgayNopHoSo: '20261021090000',
  NgayTiepNhan: '20261021090000',
  NgayHenTra: '20261109170000',
  DanhSachHoSoBoSung: [
    {
      NgayBoSung: '20261027090000',
      NgayTiepNhanBoSung: '20261105090000',
      NgayHenTraTruoc: '20261030170000',
      NgayHenTraMoi: '20261109170000',
    },
  ],
  NgayKetThucXuLy: '20261108100000',
});
// B, as canonical events: due 28 October, the supplement asked for on 2 November, received on 9 November
// with the appointment re-issued for 19 November, resolved on 17 November.
const B = 'H29.901-261022-0003';
// D, as canonical events: due 27 October, resolved on 26 October.
const D = 'H29.901-261023-0004';
const received = (code: string, at: string, due: string) =>
  canonicalEvent('received', code, ms(at), {
    procedure_code: PROCEDURE,
    channel: 'direct',
    due_at: `${due}+07:00`,
  });
const EVENTS = [
  received(B, '2026-10-22T09:00:00', '2026-10-28T17:00:00'),
  canonicalEvent('supplement_requested', B, ms('2026-11-02T09:00:00')),
  canonicalEvent('supplement_received', B, ms('2026-11-09T09:00:00'), {
    due_at: '2026-11-19T17:00:00+07:00',
  }),
  canonicalEvent('resolved', B, ms('2026-11-17T10:00:00')),
  received(D, '2026-10-23T09:00:00', '2026-10-27T17:00:00'),
  canonicalEvent('resolved', D, ms('2026-10-26T10:00:00')),
];
const CODES = [String(A.MaHoSo), B, String(C.MaHoSo), D];

let store: TestClickHouse;
let clickhouse: ClickHouse;
let producer: Producer;
let aggregator: Aggregator | undefined;
const stops: (() => Promise<void>)[] = [];

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** Polls `check` until it holds; the test's timeout bounds the wait (the machine may be loaded). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 500));
}

beforeAll(async () => {
  store = await createTestClickHouse();
  clickhouse = store.clickhouse;
  const tk = testKafka();
  const config = testConfig(tk.brokers);
  await tk.createTopics([config.TOPIC_EVENTS, config.TOPIC_DVCQG, config.TOPIC_DEAD_LETTER]);
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
    topic: config.TOPIC_DVCQG,
    acks: -1,
    messages: [A, C].map((r) => ({ key: String(r.MaHoSo), value: JSON.stringify(r) })),
  });
  await producer.send({
    topic: config.TOPIC_EVENTS,
    acks: -1,
    messages: EVENTS.map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
  });
  const settings: AggregatorSettings = {
    AGGREGATOR_INTERVAL_SECONDS: 1,
    AGGREGATOR_PERIOD_KINDS: ['day', 'month'],
    AGGREGATOR_SCOPE_KINDS: ['city'],
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

interface Value {
  kpi: string;
  period_kind: string;
  period_start: string;
  numerator: number;
  denominator: number;
  score: number | null;
}

describe('a past period is judged by the appointment in force at its end', { timeout: 480_000 }, () => {
  it('counts late in October the dossiers past their first appointment then, on time in November by the re-issued one', async () => {
    // Every event stored, then a cycle committed with a watermark after that: it took them all in.
    let storedAt = '';
    await until(async () => {
      const [r] = await rows<{ n: string; now: string }>(
        `SELECT toString(uniqExact(event_id)) AS n, toString(now64(3, 'UTC')) AS now FROM dossier_events_v1
         WHERE dossier_code IN {codes:Array(String)}`,
        { codes: CODES },
      );
      storedAt = r?.now ?? '';
      return Number(r?.n) === 2 + EVENTS.length;
    });
    await until(async () => {
      const [r] = await rows<{ n: string }>(
        `SELECT toString(count()) AS n FROM kpi_cycles_v1
         WHERE state = 'committed' AND window_to > toDateTime64({at:String}, 3, 'UTC')`,
        { at: storedAt },
      );
      return Number(r?.n) > 0;
    });
    const rejected = await rows('SELECT reason_code, reason_text FROM dead_letters_v2 LIMIT 3');
    expect(rejected, 'no input rejected').toEqual([]);

    const values = await rows<Value>(
      `SELECT kpi, toString(period_kind) AS period_kind, toString(period_start) AS period_start,
         toUInt32(numerator) AS numerator, toUInt32(denominator) AS denominator, score
       FROM kpi_latest
       WHERE scope_kind = 'city' AND kpi IN ('on_time_rate', 'index766.progress')
         AND (toString(period_kind), toString(period_start)) IN (('month', '2026-10-01'), ('month', '2026-11-01'),
           ('day', '2026-10-29'), ('day', '2026-10-31'))
       ORDER BY kpi, period_kind, period_start`,
    );
    const row = (kpi: string, periodKind: string, periodStart: string) =>
      values.find((v) => v.kpi === kpi && v.period_kind === periodKind && v.period_start === periodStart);
    // October: D finished on time; at the month's end A and B were past their appointments (29 and 28
    // October) with no supplement asked for yet: late. C's supplement, asked for in time, was awaited.
    // By the re-issued appointments, as before, all four would be on time.
    expect(row('on_time_rate', 'month', '2026-10-01')).toMatchObject({ numerator: 2, denominator: 4 });
    expect(row('index766.progress', 'month', '2026-10-01')).toMatchObject({
      numerator: 2,
      denominator: 4,
      score: 10,
    });
    // The end of 31 October: A, B and C open (D finished on the 26th), only C on time; the end of 29
    // October: B and A past their appointments by then, C and D not.
    expect(row('on_time_rate', 'day', '2026-10-31')).toMatchObject({ numerator: 1, denominator: 3 });
    expect(row('on_time_rate', 'day', '2026-10-29')).toMatchObject({ numerator: 1, denominator: 3 });
    // November: A, B and C finished by their re-issued appointments.
    expect(row('on_time_rate', 'month', '2026-11-01')).toMatchObject({ numerator: 3, denominator: 3 });

    // A's final snapshot alone says which appointment the re-issue replaced, and when.
    const [a] = await rows<Record<string, string | null>>(
      `SELECT toString(due_at) AS due_at, toString(due_before_at) AS due_before_at, toString(due_moved_at) AS due_moved_at
       FROM dossiers_v1 WHERE dossier_code = {code:String}`,
      { code: A.MaHoSo },
    );
    expect(a).toEqual({
      due_at: '2026-11-20 10:00:00.000',
      due_before_at: '2026-10-29 10:00:00.000',
      due_moved_at: '2026-11-10 02:00:00.000',
    });

    // The incremental state equals its recomputation (what `npm run kpi:verify` checks).
    await aggregator?.stop();
    aggregator = undefined;
    const check = await verifyKpiState(clickhouse, { dayHorizonDays: 92 });
    expect(check.exact, JSON.stringify(check)).toBe(true);
  });
});
