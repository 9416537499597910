// Early warning end to end (#19): DVCQG sync records of open dossiers go through real Kafka into
// `npm start` (the all-in-one: ingestor, aggregator on BullMQ and Redis, embedded ClickHouse, monitor)
// run as a child process, and dossiers_at_risk_v1 and GET /api/at-risk hold exactly the expected rows
// and states. dossiers_at_risk_v1 is a view computed on read over dossiers_at_risk_open_v2, which each
// KPI cycle of the aggregator refreshes with kpi_open_facts_v1: what keeps the list fresh is the cycle, so "leaves within one
// interval" means the first committed cycle whose watermark covers the finishing event, and the SIGKILL
// lands on the all-in-one while a cycle that took the finishing events in holds its generation (staged,
// not committed): the restarted process must show the list whole and then exactly right.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { readWorkingCalendar, type WorkingCalendar } from '@dossier/kpi';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AllInOne, startAllInOne } from '../../tools/faults/src/pipeline.ts';
import { freePorts } from '../support/free-port.ts';
import { testKafka, uniqueName } from '../support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import {
  type AtRiskRow,
  catalogMessages,
  type Dossier,
  dossiers,
  dvcqgRecord,
  expectedRows,
  finishedNow,
  ON_TIME_UNIT,
  ROOT,
  UNITS,
} from './at-risk-province.ts';

const prefix = uniquePrefix('at-risk');
const topics = {
  events: uniqueName('events'),
  dvcqg: uniqueName('dvcqg'),
  catalog: uniqueName('catalog'),
  deadLetter: uniqueName('dead-letter'),
};
const groupId = uniqueName('at-risk-group');
let dataDir: string;
let allInOne: AllInOne | undefined;
let ch: ClickHouseClient;
let dashboard: string;
let producer: Producer;
let calendar: WorkingCalendar;
let cases: Dossier[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

async function start(): Promise<void> {
  const [monitorPort, analystsPort] = (await freePorts(2)) as [number, number];
  allInOne = startAllInOne({
    dataDir,
    env: {
      ...process.env,
      KAFKA_BROKERS: testKafka().brokers.join(','),
      REDIS_URL: testRedisUrl(),
      SIMULATOR: 'false',
      KAFKA_GROUP_ID: groupId,
      TOPIC_EVENTS: topics.events,
      TOPIC_DVCQG: topics.dvcqg,
      TOPIC_CATALOG: topics.catalog,
      TOPIC_DEAD_LETTER: topics.deadLetter,
      AGGREGATOR_PREFIX: prefix,
      AGGREGATOR_INTERVAL_SECONDS: '2',
      MONITOR_HOST: '127.0.0.1',
      MONITOR_PORT: String(monitorPort),
      ANALYSTS_PORT: String(analystsPort),
      LOG_LEVEL: 'info',
      CLICKHOUSE_URL: '',
    },
  });
  const ready = await allInOne.waitForLine((l) => l.msg === 'all-in-one ready');
  dashboard = String(ready.dashboard).replace(/\/$/, '');
  await ch?.close();
  ch = createClient({ url: String(ready.clickhouseHttp), request_timeout: 600_000 });
}

/** Polls `check` until it holds; the test's timeout bounds the wait (the machine may be loaded). */
async function until(check: () => Promise<boolean>, everyMs = 500): Promise<void> {
  while (!(await check())) await sleep(everyMs);
}

/** The server's clock once every one of `records` is stored (each snapshot is one event row). */
async function storedAt(records: Dossier[]): Promise<string> {
  const codes = records.map((x) => x.code);
  let at = '';
  await until(async () => {
    const [r] = await rows<{ n: string; now: string }>(
      `SELECT toString(uniqExact(event_id)) AS n, toString(now64(3, 'UTC')) AS now FROM dossier_events_v1
       WHERE dossier_code IN {codes:Array(String)} AND kind IN ('resolved', 'result_returned')`,
      { codes },
    );
    at = r?.now ?? '';
    return Number(r?.n) === records.length;
  });
  return at;
}

/** Waits for a KPI cycle committed with its watermark after `instant` (it took in what was stored then). */
async function cycleAfter(instant: string): Promise<void> {
  await until(async () => {
    const [r] = await rows<{ n: string }>(
      `SELECT toString(count()) AS n FROM kpi_cycles_v1
       WHERE state = 'committed' AND window_to > toDateTime64({at:String}, 3, 'UTC')`,
      { at: instant },
    );
    return Number(r?.n) > 0;
  });
}

async function viewRows(): Promise<AtRiskRow[]> {
  return rows<AtRiskRow>(
    `SELECT dossier_code, agency_code, procedure_code, field_code, channel,
       if(due_at IS NULL, NULL, toString(due_at)) AS due_at, working_days_left, state
     FROM dossiers_at_risk_v1 WHERE agency_code IN {units:Array(String)} ORDER BY dossier_code`,
    { units: UNITS.map((u) => u.code) },
  );
}

/** The view's rows and the expected ones for the same instant (the server's clock, read just after). */
async function readAndExpect(open: Dossier[]) {
  const seen = await viewRows();
  const [clock] = await rows<{ now: string }>(`SELECT toString(now64(3, 'UTC')) AS now`);
  const now = new Date(`${clock!.now.replace(' ', 'T')}Z`);
  const deadlines = new Map(seen.filter((r) => r.due_at).map((r) => [r.dossier_code, r.due_at as string]));
  return { seen, expected: expectedRows(calendar, open, now, deadlines) };
}

/** Polls until the view holds exactly the expected rows, then checks the API against them. */
async function expectListed(open: Dossier[]): Promise<AtRiskRow[]> {
  let last = await readAndExpect(open);
  await until(async () => {
    last = await readAndExpect(open);
    return JSON.stringify(last.seen) === JSON.stringify(last.expected);
  }, 1_000);
  expect(last.seen).toEqual(last.expected);
  await expectApi(last.expected);
  return last.expected;
}

const under = new Set<string>(UNITS.filter((u) => u.code !== 'H29.980').map((u) => u.code));

async function expectApi(expected: AtRiskRow[]): Promise<void> {
  const res = await fetch(`${dashboard}/api/at-risk?agency=${ROOT}&pageSize=1000`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { rows: AtRiskRow[]; counts: Record<string, number>; total: number };
  const mine = expected.filter((r) => under.has(r.agency_code));
  const shown = body.rows
    .map((r) => ({
      dossier_code: r.dossier_code,
      agency_code: r.agency_code,
      procedure_code: r.procedure_code,
      field_code: r.field_code,
      channel: r.channel,
      due_at: r.due_at,
      working_days_left: r.working_days_left,
      state: r.state,
    }))
    .sort((a, b) => a.dossier_code.localeCompare(b.dossier_code));
  expect(shown).toEqual(mine);
  const left = body.rows.map((r) => r.working_days_left ?? Number.POSITIVE_INFINITY);
  expect(left).toEqual([...left].sort((a, b) => a - b));
  const tally = { overdue: 0, due_soon: 0, waiting_applicant: 0, on_track: 0 } as Record<string, number>;
  for (const r of mine) tally[r.state] = (tally[r.state] ?? 0) + 1;
  expect(body.counts).toEqual(tally);
  expect(body.total).toBe(mine.length);
}

async function send(topic: string, records: Dossier[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: records.map((x) => ({ key: x.code, value: JSON.stringify(dvcqgRecord(x)) })),
  });
}

const listed = (all: Dossier[]) => all.filter((x) => x.intended !== 'not_listed');

beforeAll(async () => {
  const tk = testKafka();
  await tk.createTopics([topics.events, topics.dvcqg, topics.catalog]);
  dataDir = await mkdtemp(join(tmpdir(), 'at-risk-kafka-'));
  await start();
  producer = tk.kafka.producer();
  await producer.connect();
  await producer.send({ topic: topics.catalog, acks: -1, messages: catalogMessages() });
  // The records' fields and units come from the catalog: it is stored before the first record.
  await until(async () => {
    const [r] = await rows<{ n: string }>(
      `SELECT toString(count()) AS n FROM procedures_v1 WHERE procedure_code LIKE '1.00097%'`,
    );
    return Number(r?.n) >= 2;
  });
  calendar = await readWorkingCalendar(ch);
  const [clock] = await rows<{ now: string }>(`SELECT toString(now64(3, 'UTC')) AS now`);
  cases = dossiers(calendar, new Date(`${clock!.now.replace(' ', 'T')}Z`));
  await send(topics.dvcqg, cases);
}, 600_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await ch?.close();
  await allInOne?.stop().catch(() => undefined);
  await deleteKeys(prefix);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('dossiers at risk through Kafka and npm start', { timeout: 900_000 }, () => {
  it('lists exactly the open received dossiers, each in its state, in the view and through the API', async () => {
    const expected = await expectListed(cases);
    // The cases meant what the rule says (a check of the test's own data).
    const intended = Object.fromEntries(listed(cases).map((x) => [x.code, x.intended]));
    expect(Object.fromEntries(expected.map((r) => [r.dossier_code, r.state]))).toEqual(intended);
    const noDue = expected.find((r) => r.procedure_code.endsWith('971.000.00.00.H29'));
    expect(noDue?.due_at, 'the legal maximum stands for the missing due date').not.toBeNull();
    expect(noDue?.working_days_left).toBeLessThan(-10);
  });

  it("counts a supplement's wait once: on time by the appointment re-issued on receipt", async () => {
    const finished = cases.filter((x) => x.unit === ON_TIME_UNIT.code && x.finishedAt);
    await cycleAfter(await storedAt(finished));
    // The month (city time) the supplement cases finished in; the open overdue dossier counts in it too.
    const month = `${new Date(finished[0]!.finishedAt!.getTime() + 7 * 3_600_000).toISOString().slice(0, 7)}-01`;
    const read = async () =>
      (
        await rows<{ numerator: number; denominator: number }>(
          `SELECT toUInt32(numerator) AS numerator, toUInt32(denominator) AS denominator FROM kpi_latest
           WHERE kpi = 'on_time_rate' AND scope_kind = 'agency' AND scope_code = {unit:String}
             AND period_kind = 'month' AND period_start = {month:Date}`,
          { unit: ON_TIME_UNIT.code, month },
        )
      )[0];
    await until(async () => (await read())?.denominator === ON_TIME_UNIT.of);
    expect(await read()).toEqual({ numerator: ON_TIME_UNIT.onTime, denominator: ON_TIME_UNIT.of });
  });

  it('drops a dossier with the first KPI cycle whose watermark covers its finishing event', async () => {
    const leaving = listed(cases).filter(
      (x) => x.intended === 'due_soon' || x.intended === 'waiting_applicant',
    );
    const done = [leaving[0]!, leaving.find((x) => x.intended === 'waiting_applicant')!];
    const [clock] = await rows<{ now: string }>(`SELECT toString(now64(3, 'UTC')) AS now`);
    const now = new Date(`${clock!.now.replace(' ', 'T')}Z`);
    await send(
      topics.dvcqg,
      done.map((x) => finishedNow(x, now)),
    );
    await cycleAfter(await storedAt(done));
    const { seen } = await readAndExpect(cases);
    const gone = new Set(done.map((x) => x.code));
    expect(seen.filter((r) => gone.has(r.dossier_code))).toEqual([]);
    cases = cases.map((x) => (gone.has(x.code) ? finishedNow(x, now) : x));
    await expectListed(cases);
  });

  it('a SIGKILL while a KPI cycle takes finishing events in leaves the list right after restart', async () => {
    const before = await viewRows();
    const committedGen = async () =>
      Number(
        (
          await rows<{ g: string }>(
            `SELECT toString(max(gen)) AS g FROM kpi_cycles_v1 WHERE state = 'committed'`,
          )
        )[0]?.g,
      );
    const open = listed(cases).filter((x) => x.finishedAt === undefined);
    let killedMidCycle = false;
    let finished: Dossier[] = [];
    // Each attempt finishes one more dossier and kills as soon as a cycle that took it in is staged; a
    // cycle quick enough to commit between two looks sends the test to the next attempt.
    for (const target of open.slice(0, 3)) {
      const [clock] = await rows<{ now: string }>(`SELECT toString(now64(3, 'UTC')) AS now`);
      const now = new Date(`${clock!.now.replace(' ', 'T')}Z`);
      await send(topics.dvcqg, [finishedNow(target, now)]);
      finished = [...finished, finishedNow(target, now)];
      const stored = await storedAt([target]);
      const gen = await committedGen();
      for (;;) {
        const log = await rows<{ state: string; after: number }>(
          `SELECT state, toUInt8(window_to > toDateTime64({at:String}, 3, 'UTC')) AS after FROM kpi_cycles_v1
           WHERE gen > {gen:UInt64} ORDER BY gen DESC, created_at DESC LIMIT 1`,
          { at: stored, gen },
        );
        const latest = log[0];
        if (latest?.state === 'staged' && latest.after === 1) {
          killedMidCycle = true;
          break;
        }
        if (latest?.state === 'committed' && latest.after === 1) break;
        await sleep(20);
      }
      if (killedMidCycle) break;
    }
    await allInOne!.kill();
    await start();
    // Right after restart, before any new cycle: every dossier once, each row as it was or already gone.
    const right = await viewRows();
    expect(new Set(right.map((r) => r.dossier_code)).size).toBe(right.length);
    const earlier = new Map(before.map((r) => [r.dossier_code, r.dossier_code]));
    for (const r of right) expect(earlier.has(r.dossier_code), r.dossier_code).toBe(true);
    const gone = new Set(finished.map((x) => x.code));
    for (const code of earlier.keys())
      if (!gone.has(code))
        expect(
          right.some((r) => r.dossier_code === code),
          code,
        ).toBe(true);
    // Then the first cycle of the restarted process shows exactly the list without the finished ones.
    cases = cases.map((x) => finished.find((f) => f.code === x.code) ?? x);
    await expectListed(cases);
    expect(killedMidCycle, 'the kill landed while a cycle taking the finishing events in was staged').toBe(
      true,
    );
  });
});
