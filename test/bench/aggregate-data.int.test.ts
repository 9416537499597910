import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CITY_DOSSIERS_PER_YEAR,
  cityHistory,
  insertCatalog,
  insertDossiers,
  openWriters,
  STATES_STAGING,
  STUCK_DAYS,
} from '../../bench/aggregate-data.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';

// The benchmarks' history generator (bench/aggregate-data.ts, #21): what it writes in parallel slices
// is what it writes one slice at a time, its shares are those it documents, and the dossier states it
// writes directly are what dossier_state_mv_v1 folds from its events.

let test: TestClickHouse;
let clickhouse: ClickHouse;

const COUNT = 40_000;
const NOW = '2026-03-01 00:00:00.000';
const SPAN_DAYS = 300;
const options = {
  first: 0,
  count: COUNT,
  startAt: '2025-05-05 00:00:00.000',
  spanSeconds: SPAN_DAYS * 86_400,
  now: NOW,
  sliceDossiers: 7_000,
};

const rows = async <T>(query: string, query_params?: Record<string, unknown>): Promise<T[]> =>
  (await clickhouse.query({ query, query_params, format: 'JSONEachRow' })).json<T>();

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await insertCatalog(clickhouse);
  const heard: number[] = [];
  // P: two writers on clients of their own (sessions of their own on the embedded engine), at once.
  const writers = await openWriters(test.url, {});
  try {
    await insertDossiers(clickhouse, { ...options, prefix: 'P', writers, onSlice: (n) => heard.push(n) });
  } finally {
    for (const writer of writers) await writer.close();
  }
  // Slices of 7,000 and a last one of 5,000, heard as each ends (the writers may end them in any order).
  expect(heard).toHaveLength(6);
  expect(heard).toEqual([...heard].sort((a, b) => a - b));
  expect(heard.at(-1)).toBe(40_000);
  await insertDossiers(clickhouse, { ...options, prefix: 'S', parallel: 1 });
}, 300_000);

afterAll(async () => {
  await test?.close();
});

/** A hash of every generated event or state of one prefix, its codes without the prefix. */
async function fingerprint(prefix: string): Promise<{ events: string; states: string }> {
  const strip = (column: string) => `replaceOne(${column}, '${prefix}-', '')`;
  const [events] = await rows<{ h: string; n: string }>(
    `SELECT toString(groupBitXor(cityHash64(${strip('event_id')}, ${strip('dossier_code')}, kind, agency_code,
        procedure_code, occurred_at, version, channel, received_at, due_at, finished_at, finish_kind, fee_vnd,
        paid_online, supplement_requested_at, supplement_received_at, components_digitized, result_digitized,
        rating_satisfied, source_offset))) AS h
      FROM dossier_events_v1 WHERE startsWith(dossier_code, '${prefix}-')`,
  );
  const [states] = await rows<{ h: string }>(
    `SELECT toString(groupBitXor(cityHash64(${strip('dossier_code')}, agency, procedure, channel, received_at,
        due_at, finished_at, finish_kind, fee_vnd, rating))) AS h
      FROM (SELECT dossier_code, argMaxMerge(agency_code) AS agency, argMaxMerge(procedure_code) AS procedure,
          argMaxMerge(channel) AS channel, min(received_at) AS received_at, argMaxMerge(due_at) AS due_at,
          min(finished_at) AS finished_at, argMinMerge(finish_kind) AS finish_kind, argMaxMerge(fee_vnd) AS fee_vnd,
          argMaxMerge(rating_satisfied) AS rating
        FROM dossier_state_v1 WHERE startsWith(dossier_code, '${prefix}-') GROUP BY dossier_code)`,
  );
  return { events: events?.h ?? '', states: states?.h ?? '' };
}

describe('the aggregate bench generator', () => {
  it("spans count / the city's rate, ending at the instant given", () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(CITY_DOSSIERS_PER_YEAR).toBe(7_000_000);
    expect(cityHistory(7_000_000, now)).toEqual({
      startAt: '2025-03-01 00:00:00.000',
      spanSeconds: 365 * 86_400,
    });
    expect(cityHistory(50_000_000, now).spanSeconds / (365 * 86_400)).toBeCloseTo(50 / 7, 3);
  });

  it('writes the same dossiers in parallel slices as one slice at a time', async () => {
    const parallel = await fingerprint('P');
    expect(parallel).toEqual(await fingerprint('S'));
    expect(parallel.events).not.toBe('0');
  });

  it('writes the shares it documents: the last 90 days keep 5% stuck, the latest still open, every 20th with a supplement', async () => {
    const [shares] = await rows<Record<string, string>>(
      `WITH toDateTime64({now:String}, 3, 'UTC') - toIntervalDay({stuck:UInt32}) AS stuck_since,
          toDateTime64({now:String}, 3, 'UTC') - toIntervalDay(13) AS settled
      SELECT count() AS dossiers, countIf(finished_at IS NULL) AS open, countIf(channel = 'direct') AS direct,
          countIf(length(supplement_requested_at) > 0) AS supplements, countIf(fee_vnd IS NOT NULL) AS fees,
          countIf(due_at < finished_at) AS late, uniqExact(agency_code) AS agencies,
          uniqExact(procedure_code) AS procedures, min(received_at) AS first_received,
          max(received_at) AS last_received, max(finished_at) AS last_finished,
          countIf(finished_at IS NULL AND received_at < stuck_since) AS open_before,
          countIf(received_at >= stuck_since AND received_at < settled) AS settled_received,
          countIf(finished_at IS NULL AND received_at >= stuck_since AND received_at < settled) AS settled_open
        FROM dossiers_v1
        WHERE startsWith(dossier_code, 'P-')`,
      { now: NOW, stuck: STUCK_DAYS },
    );
    const [events] = await rows<{ received: string; resolved: string }>(
      `SELECT countIf(kind = 'received') AS received, countIf(kind = 'resolved') AS resolved
        FROM dossier_events_v1 WHERE startsWith(dossier_code, 'P-')`,
    );
    const share = (key: string) => Number(shares?.[key]) / COUNT;
    expect(Number(shares?.dossiers)).toBe(COUNT);
    expect(Number(events?.received)).toBe(COUNT);
    expect(Number(events?.received) - Number(events?.resolved)).toBe(Number(shares?.open));
    // 1 in 20 of the last STUCK_DAYS' receipts never finishes, none before (a tail bounded by recent volume,
    // not a share of all history); of the others, those received less than 1–12 days before NOW are open.
    const stuck = (0.05 * STUCK_DAYS) / SPAN_DAYS;
    expect(share('open')).toBeGreaterThan(stuck + (0.95 * 1) / SPAN_DAYS);
    expect(share('open')).toBeLessThan(stuck + 13 / SPAN_DAYS);
    expect(Number(shares?.open_before)).toBe(0);
    expect(Number(shares?.settled_open) / Number(shares?.settled_received)).toBeCloseTo(0.05, 2);
    expect(share('direct')).toBeCloseTo(1 / 3, 3);
    expect(share('supplements')).toBeCloseTo(1 / 20, 3);
    expect(share('fees')).toBeCloseTo(1 / 4, 3);
    expect(share('late')).toBeGreaterThan(0.1);
    expect(Number(shares?.agencies)).toBe(300);
    expect(Number(shares?.procedures)).toBe(200);
    expect(shares?.first_received).toBe('2025-05-05 00:00:00.000');
    expect(Date.parse(`${shares?.last_received}Z`)).toBeLessThan(Date.parse(`${NOW}Z`));
    expect(Date.parse(`${shares?.last_finished}Z`)).toBeLessThanOrEqual(Date.parse(`${NOW}Z`));
  });

  it('attaches the state rows of each writer as one part, and leaves no staging table behind', async () => {
    // P with two writers, S with one: at most three parts, each state row once (no merge has anything to fold).
    const [parts] = await rows<Record<string, string | number>>(
      `SELECT count() AS parts, sum(rows) AS rows,
          (SELECT count() FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {staging:String})) AS staging
        FROM system.parts WHERE database = currentDatabase() AND table = 'dossier_state_v1' AND active`,
      { staging: STATES_STAGING },
    );
    expect(Number(parts?.parts)).toBeLessThanOrEqual(3);
    expect(Number(parts?.rows)).toBe(2 * COUNT);
    expect(Number(parts?.staging)).toBe(0);
  });

  it("writes each dossier's state as dossier_state_mv_v1 folds its events, and attaches that view again", async () => {
    const [view] = await rows<{ as_select: string }>(
      `SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = 'dossier_state_mv_v1'`,
    );
    expect(view?.as_select).toContain('GROUP BY');
    await clickhouse.command({ query: 'CREATE TABLE folded_state AS dossier_state_v1' });
    await clickhouse.command({
      query: `INSERT INTO folded_state ${view?.as_select.replace(/(\w+\.)?\bdossier_events_v1\b/, "(SELECT * FROM dossier_events_v1 WHERE startsWith(dossier_code, 'P-'))")}`,
    });
    const columns = await rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'dossier_state_v1'
        AND name NOT IN ('dossier_code', 'first_ingested_at', 'last_ingested_at') ORDER BY position`,
    );
    expect(columns.length).toBeGreaterThan(20);
    // Each column merged by its own function, arrays sorted (a set's order is not part of its value), and
    // each state's bytes: an argMax state keeps the key a later event of the dossier is compared with.
    const merged = columns
      .map(({ name, type }) => {
        const fn = /^(Simple)?AggregateFunction\((\w+)/.exec(type);
        if (!fn) throw new Error(`${name}: ${type}`);
        if (fn[1]) return `${fn[2]}(${name}) AS v_${name}`;
        const value = `${fn[2]}Merge(${name})`;
        const bytes =
          fn[2] === 'groupUniqArrayArray' ? '' : `, hex(toString(${fn[2]}MergeState(${name}))) AS s_${name}`;
        return `${fn[2] === 'groupUniqArrayArray' ? `arraySort(${value})` : value} AS v_${name}${bytes}`;
      })
      .join(', ');
    const read = (table: string) =>
      `SELECT dossier_code, ${merged} FROM ${table} WHERE startsWith(dossier_code, 'P-') GROUP BY dossier_code`;
    const [diff] = await rows<Record<string, string | number>>(
      `SELECT (SELECT count() FROM (${read('dossier_state_v1')} EXCEPT ${read('folded_state')})) AS generated_only,
          (SELECT count() FROM (${read('folded_state')} EXCEPT ${read('dossier_state_v1')})) AS folded_only,
          (SELECT uniqExact(dossier_code) FROM folded_state) AS folded`,
    );
    expect(Object.fromEntries(Object.entries(diff ?? {}).map(([k, v]) => [k, Number(v)]))).toEqual({
      generated_only: 0,
      folded_only: 0,
      folded: COUNT,
    });
  });
});
