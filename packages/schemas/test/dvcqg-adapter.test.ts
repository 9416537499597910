import { describe, expect, it } from 'vitest';
import { type DossierEventRow, DossierEventRowSchema, normalizeMessage } from '../src/index.ts';
import { DOSSIER, dvcqgRecord, message, OPTIONS, PROCEDURE, TOPICS } from './fixtures.ts';

function normalizeOne(value: unknown): DossierEventRow {
  const result = normalizeMessage(message(TOPICS.dvcqg, value), OPTIONS);
  if (!result.ok) throw new Error(`rejected: ${result.rejection.code} ${result.rejection.reason}`);
  const row = result.output.rows[0] as DossierEventRow;
  expect(DossierEventRowSchema.parse(row)).toEqual(row);
  return row;
}

const ENDED = { NgayKetThucXuLy: '20250310100000' };
const STATUSES = [
  { status: 1, kind: 'submitted', extra: {}, finish: null },
  { status: 2, kind: 'received', extra: {}, finish: null },
  {
    status: 3,
    kind: 'rejected',
    extra: { NgayTuChoi: '20250305100000' },
    finish: ['2025-03-05 03:00:00.000', 'rejected'],
  },
  { status: 4, kind: 'processing', extra: {}, finish: null },
  { status: 5, kind: 'supplement_requested', extra: {}, finish: null },
  { status: 6, kind: 'payment_requested', extra: {}, finish: null },
  { status: 7, kind: 'withdrawn', extra: ENDED, finish: ['2025-03-10 03:00:00.000', 'withdrawn'] },
  { status: 8, kind: 'stopped', extra: ENDED, finish: ['2025-03-10 03:00:00.000', 'stopped'] },
  { status: 9, kind: 'resolved', extra: ENDED, finish: ['2025-03-10 03:00:00.000', 'resolved'] },
  {
    status: 10,
    kind: 'result_returned',
    extra: { NgayTra: '20250311100000' },
    finish: ['2025-03-11 03:00:00.000', 'result_returned'],
  },
] as const;

describe('DVCQG sync records', () => {
  it.each(STATUSES)('maps TrangThaiHoSo $status to $kind', ({ status, kind, extra, finish }) => {
    const row = normalizeOne(dvcqgRecord({ TrangThaiHoSo: String(status), ...extra }));
    expect(row).toMatchObject({
      kind,
      status,
      dialect: 'dvcqg',
      finished_at: finish?.[0] ?? null,
      finish_kind: finish?.[1] ?? null,
    });
    expect(row.event_id).toBe(`dvcqg:${DOSSIER}:${row.version}:${status}`);
  });

  it('converts yyyyMMddHHmmss from Asia/Ho_Chi_Minh (UTC+7) to UTC', () => {
    const row = normalizeOne(dvcqgRecord({ NgayNopHoSo: '20250101033000', NgayTiepNhan: '20250101070000' }));
    expect(row).toMatchObject({
      submitted_at: '2024-12-31 20:30:00.000',
      received_at: '2025-01-01 00:00:00.000',
      procedure_code: PROCEDURE,
      field_code: 'G09-XD01',
      channel: 'online',
    });
  });

  it('versions a snapshot by its latest fact, not by the due date', () => {
    const row = normalizeOne(
      dvcqgRecord({ TrangThaiHoSo: 5, DanhSachHoSoBoSung: [{ NgayBoSung: '20250306100000' }] }),
    );
    expect(row.occurred_at).toBe('2025-03-06 03:00:00.000');
    expect(row.version).toBe(Date.parse('2025-03-06T03:00:00Z'));
  });

  it('gives an identical resend the same event_id', () => {
    const a = normalizeOne(dvcqgRecord({ TrangThaiHoSo: 4 }));
    const b = normalizeOne(dvcqgRecord({ TrangThaiHoSo: 4 }));
    expect(a.event_id).toBe(b.event_id);
    expect({ ...a, source_offset: '' }).toEqual({ ...b, source_offset: '' });
  });

  it.each([
    [1, 'direct'],
    ['2', 'online'],
    [3, 'postal'],
  ])('maps KenhThucHien %s to %s', (kenh, channel) => {
    expect(normalizeOne(dvcqgRecord({ KenhThucHien: kenh })).channel).toBe(channel);
  });

  it.each([
    [1, 1, 'dvcqg'],
    [2, 1, 'local_gateway'],
    [0, 0, null],
    [undefined, null, null],
  ])('maps DuocThanhToanTrucTuyen %s', (code, paid, channel) => {
    const row = normalizeOne(dvcqgRecord({ DuocThanhToanTrucTuyen: code }));
    expect([row.paid_online, row.payment_channel]).toEqual([paid, channel]);
  });

  it('totals the fee list (numbers or digit strings); no list means unknown, an empty list zero', () => {
    const fees = [
      { MaPhiLePhi: 'P1', Gia: 100_000 },
      { MaPhiLePhi: 'L1', Gia: '25000' },
    ];
    expect(normalizeOne(dvcqgRecord({ DanhSachLePhi: fees })).fee_vnd).toBe(125_000);
    expect(normalizeOne(dvcqgRecord({ DanhSachLePhi: [] })).fee_vnd).toBe(0);
    expect(normalizeOne(dvcqgRecord()).fee_vnd).toBeNull();
  });

  it('counts submitted documents per flag, so "at least one" and "every" stay readable', () => {
    const row = normalizeOne(
      dvcqgRecord({
        TaiLieuNop: [
          { TenTepDinhKem: 'don.pdf', DuocSoHoa: 1 },
          { DuongDanTaiTepTin: 'https://x/a.pdf', DuocTaiSuDung: '1', DuocLayTuKhoDMQG: true },
          { TenTepDinhKem: '  ', DuocSoHoa: 0 },
        ],
      }),
    );
    expect(row).toMatchObject({
      docs_total: 3,
      docs_with_file: 2,
      docs_digitized: 1,
      docs_reused: 1,
      docs_from_national_store: 1,
      // No HoSoCoThanhPhanSoHoa: unknown, not folded from the documents.
      has_digitized_component: null,
    });
    expect(normalizeOne(dvcqgRecord({ TaiLieuNop: [] }))).toMatchObject({ docs_total: 0, docs_with_file: 0 });
    expect(normalizeOne(dvcqgRecord())).toMatchObject({ docs_total: null, has_digitized_component: null });
    expect(normalizeOne(dvcqgRecord({ HoSoCoThanhPhanSoHoa: 0 }))).toMatchObject({
      has_digitized_component: 0,
    });
  });

  it('calls a result electronic only with both a result code and a file link', () => {
    const result = (docs: Record<string, unknown>[]) =>
      normalizeOne(dvcqgRecord({ TrangThaiHoSo: 9, ...ENDED, DanhSachGiayToKetQua: docs }));
    expect(result([{ MaKetQua: '12/GP', DuongDanTepTinKetQua: 'https://x/kq.pdf' }])).toMatchObject({
      result_digitized: 1,
      result_code_and_file: 1,
      result_to_applicant_store: 0,
    });
    expect(result([{ DuongDanTepTinKetQua: 'https://x/kq.pdf', DaDayKhoDuLieuCaNhan: 1 }])).toMatchObject({
      result_digitized: 1,
      result_code_and_file: 0,
      result_to_applicant_store: 1,
    });
    expect(result([{ MaKetQua: '12/GP' }, { DuongDanTepTinKetQua: 'https://x/kq.pdf' }])).toMatchObject({
      result_code_and_file: 0,
    });
    expect(normalizeOne(dvcqgRecord())).toMatchObject({ result_code_and_file: null });
  });

  it('reads the VNeID account, the population database and the sync acknowledgement', () => {
    const row = normalizeOne(
      dvcqgRecord({ TaiKhoanDuocXacThucVoiVNeID: 1, MaCSDL: 'CSDLQGDC', NgayDongBoDVCQG: '20250304091500' }),
    );
    expect(row).toMatchObject({
      vneid_verified: 1,
      population_db_used: 1,
      synced_national_at: '2025-03-04 02:15:00.000',
    });
    expect(normalizeOne(dvcqgRecord({ TaiKhoanDuocXacThucVoiVNeID: '0' }))).toMatchObject({
      vneid_verified: 0,
      population_db_used: null,
      synced_national_at: null,
    });
    // The acknowledgement is a fact already past: it may not lie in the future.
    const future = normalizeMessage(
      message(TOPICS.dvcqg, dvcqgRecord({ NgayDongBoDVCQG: '20990101000000' })),
      OPTIONS,
    );
    expect(future).toMatchObject({ ok: false, rejection: { code: 'future_time' } });
  });

  it('lists supplement requests and receipts', () => {
    const row = normalizeOne(
      dvcqgRecord({
        TrangThaiHoSo: 4,
        DanhSachHoSoBoSung: [
          { NgayBoSung: '20250306100000', NgayTiepNhanBoSung: '20250307100000', NoiDungBoSung: 'x' },
          { NgayBoSung: '20250308100000', NgayTiepNhanBoSung: '' },
        ],
      }),
    );
    expect(row.supplement_requested_at).toEqual(['2025-03-06 03:00:00.000', '2025-03-08 03:00:00.000']);
    expect(row.supplement_received_at).toEqual(['2025-03-07 03:00:00.000']);
  });

  it('takes the appointment re-issued for a supplement (NgayHenTraMoi) when NgayHenTra still has the old one', () => {
    const supplement = {
      NgayBoSung: '20250306100000',
      NgayTiepNhanBoSung: '20250307100000',
      NgayHenTraTruoc: '20250318170000',
      NgayHenTraMoi: '20250319170000',
    };
    const stale = normalizeOne(dvcqgRecord({ TrangThaiHoSo: 4, DanhSachHoSoBoSung: [supplement] }));
    expect(stale.due_at).toBe('2025-03-19 10:00:00.000');
    // NgayHenTra updated (to the re-issued or a later appointment): it stands.
    const updated = normalizeOne(
      dvcqgRecord({ TrangThaiHoSo: 4, NgayHenTra: '20250320170000', DanhSachHoSoBoSung: [supplement] }),
    );
    expect(updated.due_at).toBe('2025-03-20 10:00:00.000');
    // Not re-issued: NgayHenTra as sent.
    const { NgayHenTraMoi: _, ...notMoved } = supplement;
    const kept = normalizeOne(dvcqgRecord({ TrangThaiHoSo: 4, DanhSachHoSoBoSung: [notMoved] }));
    expect(kept.due_at).toBe('2025-03-18 10:00:00.000');
  });

  it.each([
    [{ HoSoCoThanhPhanSoHoa: 1 }, 1],
    [{ HoSoCoThanhPhanSoHoa: 0 }, 0],
    [{ TaiLieuNop: [{ DuocSoHoa: 1 }, { DuocLayTuKhoDMQG: '1' }, { DuocTaiSuDung: true }] }, 1],
    [{ TaiLieuNop: [{ DuocSoHoa: 1 }, { DuocSoHoa: 0 }] }, 0],
    [{}, null],
  ])('derives components_digitized from %j', (fields, expected) => {
    expect(normalizeOne(dvcqgRecord(fields)).components_digitized).toBe(expected);
  });

  it.each([
    [{ DanhSachGiayToKetQua: [{ TenGiayTo: 'GP', DuongDanTepTinKetQua: 'https://x/kq.pdf' }] }, 1],
    [{ DanhSachGiayToKetQua: [{ TenGiayTo: 'GP' }] }, 0],
    [{}, null],
  ])('derives result_digitized from %j', (fields, expected) => {
    expect(normalizeOne(dvcqgRecord(fields)).result_digitized).toBe(expected);
  });

  it('takes the agency from DonViXuLy, else from the dossier code', () => {
    expect(normalizeOne(dvcqgRecord({ DonViXuLy: 'h29.300' })).agency_code).toBe('H29.300');
    expect(normalizeOne(dvcqgRecord()).agency_code).toBe('H29.105');
  });

  it('treats null and blank strings as absent', () => {
    const row = normalizeOne(
      dvcqgRecord({ NgayHenTra: '', NgayTra: null, MaLinhVuc: '  ', DanhSachLePhi: null }),
    );
    expect(row).toMatchObject({ due_at: null, field_code: null, fee_vnd: null });
  });

  it('for status 10 finishes at resolution when NgayKetThucXuLy is known (the earlier finish)', () => {
    const row = normalizeOne(dvcqgRecord({ TrangThaiHoSo: 10, NgayTra: '20250311100000', ...ENDED }));
    expect([row.finished_at, row.finish_kind]).toEqual(['2025-03-10 03:00:00.000', 'resolved']);
  });

  it('keeps personal fields out of the row and hashes the identity like the canonical dialect', () => {
    const row = normalizeOne(dvcqgRecord({ EmailChuHoSo: 'a@b.vn', DiaChiChuHoSo: '1 Lê Lợi' }));
    const viaDinhDanh = normalizeOne(
      dvcqgRecord({
        SoGiayToChuHoSo: undefined,
        DinhDanhCHS: [{ LoaiDinhDanh: 1, SoDinhDanh: '079123456789' }],
      }),
    );
    expect(row.applicant_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(viaDinhDanh.applicant_hash).toBe(row.applicant_hash);
    const text = JSON.stringify(row);
    for (const secret of ['Nguyễn', '079123456789', '0901234567', 'a@b.vn', 'Lê Lợi'])
      expect(text).not.toContain(secret);
  });
});
