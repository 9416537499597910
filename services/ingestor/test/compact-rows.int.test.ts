import { type ClickHouse, createClickHouse, migrate } from '@dossier/clickhouse';
import type { DossierEventRow } from '@dossier/schemas';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createTestClickHouse } from '../../../test/support/clickhouse.ts';
import { startClickHouseHttpStandIn } from '../../../test/support/clickhouse-http-standin.ts';
import { insertRows } from '../src/clickhouse-writer.ts';
import { createIngestorMetrics } from '../src/metrics.ts';

// Every column of dossier_events_v1 but the one the table fills; source_offset read as text (UInt64).
const COLUMNS = '* EXCEPT (ingested_at, source_offset), toString(source_offset) AS source_offset';

const base: DossierEventRow = {
  event_id: 'e-base',
  dialect: 'canonical',
  source: '/agency/H29.105/mot-cua',
  kind: 'received',
  dossier_code: 'H29.105-250304-0000001',
  agency_code: 'H29.105',
  procedure_code: '1.000494.000.00.00.H29',
  field_code: 'F01',
  occurred_at: '2025-03-04 01:02:03.004',
  version: 1741050123004,
  status: 2,
  channel: 'online',
  submitted_at: '2025-03-04 01:00:00.000',
  received_at: '2025-03-04 01:02:03.004',
  due_at: '2025-03-14 10:00:00.000',
  due_since_at: '2025-03-04 01:02:03.004',
  due_before_at: '2025-03-10 10:00:00.000',
  finished_at: null,
  finish_kind: null,
  fee_vnd: 50000,
  paid_online: 1,
  payment_channel: 'dvcqg',
  supplement_requested_at: ['2025-03-05 08:00:00.001', '2025-03-06 09:30:00.999'],
  supplement_received_at: ['2025-03-07 00:00:00.000'],
  components_digitized: 1,
  result_digitized: 0,
  docs_total: 3,
  docs_with_file: 2,
  docs_digitized: 1,
  docs_reused: 0,
  docs_from_national_store: 0,
  has_digitized_component: 1,
  result_code_and_file: 0,
  result_to_applicant_store: null,
  vneid_verified: 1,
  population_db_used: 0,
  synced_national_at: null,
  rating_satisfied: null,
  rating_score: null,
  applicant_kind: 'citizen',
  applicant_hash: 'ab'.repeat(32),
  source_topic: 'dossier-events',
  source_partition: 2,
  source_offset: '123',
};

const hostileText = [
  'Sở Tư pháp tỉnh Thừa Thiên Huế — hồ sơ đã tiếp nhận',
  'tab\there\tand\ttabs',
  'line\nbreak\r\nand CR\r',
  'back\\slash \\N \\t \\\\ trailing\\',
  'quotes \' " `, [brackets], {braces}, commas, and ; semicolons',
  '\\N',
  'NULL',
  'null',
  '',
  ' leading and trailing spaces ',
  'controls \u0000 \u0001 \u0008 \u000b \u000c \u001b \u001f \u007f end',
  'emoji 😀 and combining Tiếng Việt (NFD: Tie\u0302\u0301ng Vie\u0323\u0302t), \u2028 \u2029',
  '{"json":[1,"two",null]}',
];

/** Rows whose every text column carries hostile text, whose nullable columns are NULL, and edge values. */
function hostileRows(): DossierEventRow[] {
  const rows: DossierEventRow[] = hostileText.map((text, i) => ({
    ...base,
    event_id: `e-${i}-${text}`,
    source: text,
    kind: text as DossierEventRow['kind'],
    dossier_code: `HS-${i}\t${text}`,
    agency_code: text,
    procedure_code: text,
    field_code: text,
    applicant_hash: text,
    source_topic: text,
    channel: text as DossierEventRow['channel'],
    finish_kind: text as DossierEventRow['finish_kind'],
    payment_channel: text as DossierEventRow['payment_channel'],
    applicant_kind: text as DossierEventRow['applicant_kind'],
  }));
  const kept = ['event_id', 'dialect', 'source', 'kind', 'dossier_code', 'agency_code', 'occurred_at'];
  const nulls = Object.fromEntries(
    Object.entries(base).map(([key, value]) => [key, kept.includes(key) ? value : null]),
  ) as unknown as DossierEventRow;
  rows.push({
    ...nulls,
    event_id: 'e-nulls',
    version: 0,
    supplement_requested_at: [],
    supplement_received_at: [],
    source_topic: 't',
    source_partition: 0,
    source_offset: '0',
  });
  rows.push({
    ...base,
    event_id: 'e-edges',
    occurred_at: '1970-01-01 00:00:00.000',
    submitted_at: '2299-12-31 23:59:59.999',
    version: Number.MAX_SAFE_INTEGER,
    status: 255,
    fee_vnd: Number.MAX_SAFE_INTEGER,
    docs_total: 65535,
    supplement_requested_at: [
      '1970-01-01 00:00:00.001',
      '2299-12-31 23:59:59.999',
      '2025-01-01 00:00:00.000',
    ],
    source_partition: 4294967295,
    source_offset: '18446744073709551615',
  });
  return rows;
}

async function read(clickhouse: ClickHouse, table: string): Promise<Record<string, unknown>[]> {
  const result = await clickhouse.query({
    query: `SELECT ${COLUMNS} FROM ${table} ORDER BY event_id`,
    format: 'JSONEachRow',
  });
  return result.json<Record<string, unknown>>();
}

async function roundTrip(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.command({ query: 'CREATE TABLE events_as_json AS dossier_events_v1' });
  const rows = hostileRows();
  const deps = {
    clickhouse,
    metrics: createIngestorMetrics(new Registry()),
    guard: <T>(p: Promise<T>) => p,
  };
  await insertRows(deps, 'dossier_events_v1', rows, 'compact-rows-test');
  await clickhouse.insert({ table: 'events_as_json', values: rows, format: 'JSONEachRow' });

  // The rows as the ingestor sends them read back as they were sent, value for value.
  const stored = await read(clickhouse, 'dossier_events_v1');
  const sent = [...rows].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  expect(stored).toEqual(sent);
  // A lone surrogate (a JSON input's "\\ud800" escape) is refused alike: a row error, dead-lettered.
  const lone = [{ ...base, event_id: 'e-lone', source: 'lone \ud800 surrogate' }];
  const refused = { code: '25', type: 'CANNOT_PARSE_ESCAPE_SEQUENCE' };
  await expect(insertRows(deps, 'dossier_events_v1', lone, 'lone')).rejects.toMatchObject(refused);
  await expect(
    clickhouse.insert({ table: 'events_as_json', values: lone, format: 'JSONEachRow' }),
  ).rejects.toMatchObject(refused);
  // And byte for byte as the same rows sent as JSONEachRow, compared inside the engine.
  const differing = await clickhouse.query({
    query: `SELECT count() AS n FROM (
      (SELECT ${COLUMNS} FROM dossier_events_v1 EXCEPT SELECT ${COLUMNS} FROM events_as_json)
      UNION ALL (SELECT ${COLUMNS} FROM events_as_json EXCEPT SELECT ${COLUMNS} FROM dossier_events_v1))`,
    format: 'JSONEachRow',
  });
  expect(await differing.json<{ n: number }>()).toEqual([{ n: 0 }]);
  expect(await read(clickhouse, 'events_as_json')).toEqual(stored);
}

describe('dossier events inserted as positional rows (JSONCompactEachRow)', () => {
  it('store hostile values exactly as sent and as JSONEachRow stores them, embedded', async () => {
    const ch = await createTestClickHouse({ embedded: true });
    try {
      await roundTrip(ch.clickhouse);
    } finally {
      await ch.close();
    }
  });

  it('store hostile values exactly as sent and as JSONEachRow stores them, over HTTP', async () => {
    const standIn = await startClickHouseHttpStandIn();
    const clickhouse = await createClickHouse({ url: standIn.url });
    try {
      await migrate(clickhouse);
      await roundTrip(clickhouse);
    } finally {
      await clickhouse.close();
      await standIn.stop();
    }
  });
});
