import type { ClickHouse } from '@dossier/clickhouse';
import { deadLetterKeys, positionOf, seal } from '@dossier/dead-letters';
import { formatUtc } from '@dossier/schemas';

/** One row of the kpi_latest contract (DESIGN.md), as a fixture. */
export interface KpiFixture {
  kpi: string;
  scope_kind: string;
  scope_code: string;
  period_kind: string;
  period_start: string;
  numerator: number;
  denominator: number;
  value: number | null;
  target: number | null;
  target_met: 0 | 1 | null;
  score?: number | null;
  max_score?: number | null;
  /** Why the score is NULL (Decision 766); '' when scored. */
  reason?: string;
  computed_at: string;
}

const KPI_LATEST_COLUMNS = `kpi String, scope_kind String, scope_code String, period_kind String, period_start Date,
  numerator UInt64, denominator UInt64, value Nullable(Float64), target Nullable(Float64),
  target_met Nullable(UInt8), score Nullable(Float64), max_score Nullable(Float64), reason String DEFAULT '',
  computed_at DateTime64(3, 'UTC')`;

/**
 * Writes KPI rows where the aggregator would: into kpi_values_v1 behind the kpi_latest view when the
 * migrations define it, otherwise into a kpi_latest table with exactly the contract's columns.
 */
export async function seedKpis(clickhouse: ClickHouse, rows: KpiFixture[]): Promise<void> {
  const exists = await clickhouse.query({ query: 'EXISTS TABLE kpi_values_v1', format: 'JSONEachRow' });
  const [{ result }] = (await exists.json<{ result: number }>()) as [{ result: number }];
  const values = rows.map((r) => ({ score: null, max_score: null, ...r }));
  if (result === 1) {
    await clickhouse.insert({
      table: 'kpi_values_v1',
      values: values.map((r) => ({ ...r, run_id: `fixture-${r.computed_at}` })),
      format: 'JSONEachRow',
    });
    return;
  }
  await clickhouse.command({
    query: `CREATE TABLE IF NOT EXISTS kpi_latest (${KPI_LATEST_COLUMNS}) ENGINE = MergeTree ORDER BY (kpi, scope_kind, scope_code, period_kind, period_start)`,
  });
  await clickhouse.insert({ table: 'kpi_latest', values, format: 'JSONEachRow' });
}

export const AGENCIES = [
  { agency_code: 'H29.01', name: 'Sở Tư pháp', admin_level: 'province' },
  { agency_code: 'H29.105', name: 'UBND Quận 1', admin_level: 'district' },
  { agency_code: 'H29.105.26734', name: 'UBND Phường Bến Nghé', admin_level: 'commune' },
];

export async function seedAgencies(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [
      ...AGENCIES.map((a) => ({
        ...a,
        parent_code: null,
        valid_from: '2021-01-01',
        valid_to: null,
        version: 2,
      })),
      // An older version with another name: the dashboard must show the newest.
      {
        ...AGENCIES[0],
        name: 'Sở Tư pháp (cũ)',
        parent_code: null,
        valid_from: '2021-01-01',
        valid_to: null,
        version: 1,
      },
    ],
    format: 'JSONEachRow',
  });
}

/** A payload that carries personal data, as a real rejected DVCQG record would. */
export const PERSONAL_PAYLOAD = JSON.stringify({
  MaHoSo: 'H29.105-261020-0001',
  ChuHoSo: 'Nguyễn Văn An',
  SoGiayToChuHoSo: '079123456789',
});

/** ClickHouse DateTime64 text `hours` before now (the dashboard's 24-hour window is ClickHouse's now()). */
function hoursAgo(hours: number): string {
  return formatUtc(Date.now() - hours * 3_600_000);
}

export async function seedDeadLetters(clickhouse: ClickHouse): Promise<void> {
  const keys = deadLetterKeys('ab'.repeat(32));
  const base = {
    source_topic: 'dossier.dvcqg-sync.v1',
    value_bytes: Buffer.byteLength(PERSONAL_PAYLOAD),
    key_bytes: 0,
    message_timestamp: hoursAgo(4),
    topic_record: 'copy',
    topic_note: '',
    payload_key_id: keys.current.id,
  };
  const sealed = <T extends { source_partition: number; source_offset: number }>(row: T) => ({
    ...row,
    payload_sealed: seal(
      keys.current,
      positionOf(base.source_topic, row.source_partition, row.source_offset),
      {
        key: null,
        value: Buffer.from(PERSONAL_PAYLOAD),
        headers: [['x-applicant', Buffer.from('Nguyễn Văn An')]],
      },
    ),
  });
  await clickhouse.insert({
    table: 'dead_letters_v2',
    values: [
      {
        ...base,
        source_partition: 0,
        source_offset: 10,
        reason_code: 'bad_date',
        reason_text: 'NgayNopHoSo: not yyyyMMddHHmmss',
        rejected_at: hoursAgo(3),
      },
      {
        ...base,
        source_partition: 1,
        source_offset: 11,
        reason_code: 'bad_date',
        reason_text: 'NgayHenTra: not yyyyMMddHHmmss',
        rejected_at: hoursAgo(2),
        // Too large for the dead-letter topic: only a reference went there.
        topic_record: 'reference',
        topic_note: "1048600 bytes exceed the topic's limit of 1048588 (topic)",
      },
      {
        ...base,
        source_partition: 2,
        source_offset: 12,
        reason_code: 'invalid_json',
        reason_text: 'Unexpected token',
        rejected_at: hoursAgo(1),
      },
      // Older than the 24-hour window: counted in the total only.
      {
        ...base,
        source_partition: 2,
        source_offset: 5,
        reason_code: 'schema',
        reason_text: 'MaTTHC: required',
        rejected_at: hoursAgo(24 * 40),
      },
    ].map(sealed),
    format: 'JSONEachRow',
  });
}

const T0 = '2026-11-01 01:00:00.000';
const T1 = '2026-11-02 01:00:00.000';

function kpi(row: Omit<KpiFixture, 'computed_at'> & { computed_at?: string }): KpiFixture {
  return { computed_at: T1, ...row };
}

/**
 * City, level, agency and field values for two months of phase 2 and the year 2025 (phase 1). One value
 * is recomputed (T0 then T1) so the dashboard is seen reading through kpi_latest's newest computation.
 */
export function kpiFixtures(): KpiFixture[] {
  const city = { scope_kind: 'city', scope_code: 'H29', period_kind: 'month' };
  return [
    kpi({
      ...city,
      kpi: 'online_resolution_rate',
      period_start: '2026-09-01',
      numerator: 550,
      denominator: 1000,
      value: 0.55,
      target: 0.8,
      target_met: 0,
    }),
    kpi({
      ...city,
      kpi: 'online_resolution_rate',
      period_start: '2026-10-01',
      numerator: 700,
      denominator: 1000,
      value: 0.7,
      target: 0.8,
      target_met: 0,
      computed_at: T0,
    }),
    kpi({
      ...city,
      kpi: 'online_resolution_rate',
      period_start: '2026-10-01',
      numerator: 825,
      denominator: 1000,
      value: 0.825,
      target: 0.8,
      target_met: 1,
    }),
    kpi({
      ...city,
      kpi: 'national_portal_integration',
      period_start: '2026-10-01',
      numerator: 150,
      denominator: 200,
      value: 0.75,
      target: 0.8,
      target_met: 0,
    }),
    kpi({
      ...city,
      kpi: 'on_time_rate',
      period_start: '2026-10-01',
      numerator: 912,
      denominator: 1000,
      value: 0.912,
      target: null,
      target_met: null,
    }),
    kpi({
      ...city,
      kpi: 'satisfaction_rate',
      period_start: '2026-10-01',
      numerator: 0,
      denominator: 0,
      value: null,
      target: 0.95,
      target_met: null,
    }),
    kpi({
      ...city,
      kpi: 'index766.progress',
      period_start: '2026-10-01',
      numerator: 912,
      denominator: 1000,
      value: 0.912,
      target: null,
      target_met: null,
      score: 18.24,
      max_score: 20,
    }),
    kpi({
      ...city,
      period_kind: 'year',
      kpi: 'online_resolution_rate',
      period_start: '2025-01-01',
      numerator: 6000,
      denominator: 10000,
      value: 0.6,
      target: 0.5,
      target_met: 1,
    }),
    kpi({
      ...city,
      period_kind: 'year',
      kpi: 'national_portal_integration',
      period_start: '2025-01-01',
      numerator: 160,
      denominator: 200,
      value: 0.8,
      target: 0.8,
      target_met: 1,
    }),
    ...[
      ['H29.105', 810, 1000, 0.81, 1],
      ['H29.01', 40, 100, 0.4, 0],
      ['H29.105.26734', 0, 0, null, null],
    ].map(([code, n, d, v, met]) =>
      kpi({
        kpi: 'online_resolution_rate',
        scope_kind: 'agency',
        scope_code: code as string,
        period_kind: 'month',
        period_start: '2026-10-01',
        numerator: n as number,
        denominator: d as number,
        value: v as number | null,
        target: 0.8,
        target_met: met as 0 | 1 | null,
      }),
    ),
    kpi({
      kpi: 'on_time_rate',
      scope_kind: 'agency',
      scope_code: 'H29.105',
      period_kind: 'month',
      period_start: '2026-10-01',
      numerator: 95,
      denominator: 100,
      value: 0.95,
      target: null,
      target_met: null,
    }),
    kpi({
      kpi: 'online_resolution_rate',
      scope_kind: 'admin_level',
      scope_code: 'district',
      period_kind: 'month',
      period_start: '2026-10-01',
      numerator: 640,
      denominator: 1000,
      value: 0.64,
      target: 0.8,
      target_met: 0,
    }),
    kpi({
      kpi: 'online_resolution_rate',
      scope_kind: 'field',
      scope_code: 'G09-TP',
      period_kind: 'month',
      period_start: '2026-10-01',
      numerator: 333,
      denominator: 1000,
      value: 0.333,
      target: 0.8,
      target_met: 0,
    }),
  ];
}
