import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR, migrate } from '@dossier/clickhouse';
import {
  type DossierEventRow,
  DossierEventRowSchema,
  foldDossierState,
  normalizeMessage,
  type RawMessage,
} from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';

const TOPICS = { events: 'dossier.events.v1', dvcqg: 'dossier.dvcqg-sync.v1', catalog: 'dossier.catalog.v1' };
const OPTIONS = { topics: TOPICS, now: new Date('2025-06-30T00:00:00Z'), applicantHashKey: 'test-key' };
/** The last migration before the Decision 766 input columns (0070–0074). */
const BEFORE_INDEX766 = 27;

let offset = 0;
function row(topic: string, value: unknown): DossierEventRow {
  offset += 1;
  const raw: RawMessage = {
    topic,
    partition: 0,
    offset: String(offset),
    timestamp: String(OPTIONS.now.getTime()),
    key: null,
    value: Buffer.from(JSON.stringify(value)),
    headers: {},
  };
  const result = normalizeMessage(raw, OPTIONS);
  if (!result.ok || result.output.table !== 'dossier_events_v1') throw new Error(JSON.stringify(result));
  return DossierEventRowSchema.parse(result.output.rows[0]);
}

const record = (code: string, fields: Record<string, unknown>) => ({
  MaHoSo: code,
  MaTTHC: '1.000494.000.00.00.H29',
  KenhThucHien: 2,
  NgayNopHoSo: '20250304083000',
  ...fields,
});

/** Before the migration: a dossier as the old columns knew it. */
const OLD = 'H29.105-250304-0001';
/** After: the Decision 766 facts, in both dialects, over several events. */
const NEW = 'H29.105-250304-0002';

const newRows = () => [
  row(
    TOPICS.dvcqg,
    record(NEW, {
      TrangThaiHoSo: 2,
      NgayTiepNhan: '20250304090000',
      TaiLieuNop: [{ TenTepDinhKem: 'a.pdf', DuocSoHoa: 1 }, { DuocTaiSuDung: 1 }],
      HoSoCoThanhPhanSoHoa: 1,
      TaiKhoanDuocXacThucVoiVNeID: 1,
    }),
  ),
  // A later list of documents replaces the first one.
  {
    ...row(TOPICS.events, {
      specversion: '1.0',
      id: 'evt-digitized',
      source: '/agency/H29.105/mot-cua',
      type: 'vn.dossier.digitized',
      time: '2025-03-05T08:00:00+07:00',
      subject: NEW,
      data: {
        documents: [{ attached: true, digitized: true }, { attached: true, from_national_store: true }, {}],
      },
    }),
  },
  row(TOPICS.events, {
    specversion: '1.0',
    id: 'evt-synced',
    source: '/agency/H29.105/mot-cua',
    type: 'vn.dossier.synced_to_national_portal',
    time: '2025-03-04T09:10:00+07:00',
    subject: NEW,
    data: {},
  }),
  row(
    TOPICS.dvcqg,
    record(NEW, {
      TrangThaiHoSo: 9,
      NgayTiepNhan: '20250304090000',
      NgayKetThucXuLy: '20250310100000',
      MaCSDL: 'CSDLQGDC',
      DanhSachGiayToKetQua: [
        { MaKetQua: '1/GP', DuongDanTepTinKetQua: 'https://x/kq.pdf', DaDayKhoDuLieuCaNhan: 1 },
      ],
    }),
  ),
];

const COLUMNS = `docs_total, docs_with_file, docs_digitized, docs_reused, docs_from_national_store,
  has_digitized_component, result_code_and_file, result_to_applicant_store, vneid_verified, population_db_used,
  toString(synced_national_at) AS synced_national_at`;

describe('Decision 766 input columns migrate an existing store forward', () => {
  let store: TestClickHouse;
  let oldMigrations: string;

  beforeAll(async () => {
    store = await createTestClickHouse({ migrate: false });
    oldMigrations = await mkdtemp(join(tmpdir(), 'dossier-migrations-'));
    for (const name of await readdir(MIGRATIONS_DIR)) {
      if (Number(name.slice(0, 4)) <= BEFORE_INDEX766)
        await cp(join(MIGRATIONS_DIR, name), join(oldMigrations, name));
    }
    await migrate(store.clickhouse, oldMigrations);
    // A dossier written by the previous version, with only the columns it had.
    await store.clickhouse.insert({
      table: 'dossier_events_v1',
      values: [
        {
          event_id: 'old-1',
          dialect: 'dvcqg',
          source: 'dvcqg-sync',
          kind: 'received',
          dossier_code: OLD,
          agency_code: 'H29.105',
          occurred_at: '2025-03-04 02:00:00.000',
          version: 1,
          components_digitized: 1,
          source_topic: TOPICS.dvcqg,
          source_partition: 0,
          source_offset: 0,
        },
      ],
      format: 'JSONEachRow',
    });
    await migrate(store.clickhouse);
  });

  afterAll(async () => {
    await store?.close();
    await rm(oldMigrations, { recursive: true, force: true });
  });

  it('reads the old dossier with the new facts unknown (NULL)', async () => {
    const result = await store.clickhouse.query({
      query: `SELECT components_digitized, ${COLUMNS} FROM dossiers_v1 WHERE dossier_code = {code:String}`,
      query_params: { code: OLD },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      {
        components_digitized: 1,
        docs_total: null,
        docs_with_file: null,
        docs_digitized: null,
        docs_reused: null,
        docs_from_national_store: null,
        has_digitized_component: null,
        result_code_and_file: null,
        result_to_applicant_store: null,
        vneid_verified: null,
        population_db_used: null,
        synced_national_at: null,
      },
    ]);
  });

  it('folds new rows as the pure reference does, whatever the order and duplicates', async () => {
    const rows = newRows();
    await store.clickhouse.insert({
      table: 'dossier_events_v1',
      values: [...rows].reverse().concat(rows.slice(0, 1)),
      format: 'JSONEachRow',
    });
    const result = await store.clickhouse.query({
      query: `SELECT ${COLUMNS} FROM dossiers_v1 WHERE dossier_code = {code:String}`,
      query_params: { code: NEW },
      format: 'JSONEachRow',
    });
    const expected = foldDossierState(rows).get(NEW);
    expect(expected).toMatchObject({
      docs_total: 3,
      docs_with_file: 2,
      docs_digitized: 1,
      docs_reused: 0,
      docs_from_national_store: 1,
      has_digitized_component: 1,
      result_code_and_file: 1,
      result_to_applicant_store: 1,
      vneid_verified: 1,
      population_db_used: 1,
      synced_national_at: '2025-03-04 02:10:00.000',
    });
    const [actual] = await result.json<Record<string, unknown>>();
    for (const [column, value] of Object.entries(actual ?? {})) {
      expect(value, column).toEqual(expected?.[column as keyof typeof expected]);
    }
  });

  it('adds the catalog attributes with defaults for rows written before', async () => {
    const result = await store.clickhouse.query({
      query: `SELECT name, type, default_expression FROM system.columns
        WHERE database = currentDatabase() AND table = 'procedures_v1'
          AND name IN ('paper_result_required', 'serves', 'applied_units', 'unit_service_status') ORDER BY name`,
      format: 'JSONEachRow',
    });
    expect((await result.json<{ name: string }>()).map((c) => c.name)).toEqual([
      'applied_units',
      'paper_result_required',
      'serves',
      'unit_service_status',
    ]);
  });
});
