import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DossierEventRow, foldDossierState, normalizeMessage } from '../src/index.ts';
import { canonicalEvent, DOSSIER, dvcqgRecord, message, OPTIONS, PROCEDURE, TOPICS } from './fixtures.ts';

const FIELD = { procedure_code: PROCEDURE, field_code: 'G09-XD01' };
const APPLICANT = { kind: 'citizen', id_number: '079123456789', name: 'Nguyễn Văn A' };
const FEES = [
  { code: 'P1', amount_vnd: 100_000 },
  { code: 'L1', amount_vnd: 25_000 },
];

/** One dossier's life as canonical events … */
const canonicalHistory = [
  canonicalEvent('submitted', '2025-03-04T08:30:00+07:00', {
    ...FIELD,
    channel: 'online',
    applicant: APPLICANT,
  }),
  canonicalEvent('received', '2025-03-04T09:00:00+07:00', {
    ...FIELD,
    channel: 'online',
    due_at: '2025-03-18T17:00:00+07:00',
    components_digitized: true,
    has_digitized_component: true,
    documents: [
      { attached: true, digitized: true },
      { attached: true, from_national_store: true },
      { reused: true },
    ],
    vneid_verified: true,
    population_db_used: true,
  }),
  canonicalEvent('synced_to_national_portal', '2025-03-04T09:05:00+07:00'),
  canonicalEvent('processing', '2025-03-05T08:00:00+07:00'),
  canonicalEvent('supplement_requested', '2025-03-06T10:00:00+07:00'),
  canonicalEvent('supplement_received', '2025-03-07T10:00:00+07:00'),
  canonicalEvent('payment_requested', '2025-03-08T09:00:00+07:00', { fees: FEES }),
  canonicalEvent('paid', '2025-03-08T09:30:00+07:00', {
    fees: FEES,
    paid_online: true,
    payment_channel: 'dvcqg',
  }),
  canonicalEvent('resolved', '2025-03-10T10:00:00+07:00', {
    results: [{ code: '125/GP-SXD', file_url: 'https://x/kq.pdf', to_applicant_store: true }],
  }),
  canonicalEvent('result_returned', '2025-03-11T10:00:00+07:00'),
];

/** … and as the DVCQG snapshots an agency system sends for the same life. */
const received = {
  NgayTiepNhan: '20250304090000',
  NgayHenTra: '20250318170000',
  HoSoCoThanhPhanSoHoa: 1,
  TaiLieuNop: [
    { TenTepDinhKem: 'don.pdf', DuocSoHoa: 1, DuocTaiSuDung: 0, DuocLayTuKhoDMQG: 0 },
    { DuongDanTaiTepTin: 'https://x/cccd.pdf', DuocLayTuKhoDMQG: 1 },
    { DuocTaiSuDung: '1' },
  ],
  TaiKhoanDuocXacThucVoiVNeID: 1,
  MaCSDL: 'CSDLQGDC',
  NgayDongBoDVCQG: '20250304090500',
};
const requested = { DanhSachHoSoBoSung: [{ NgayBoSung: '20250306100000' }] };
const supplemented = {
  DanhSachHoSoBoSung: [{ NgayBoSung: '20250306100000', NgayTiepNhanBoSung: '20250307100000' }],
};
const fees = {
  DanhSachLePhi: [
    { MaPhiLePhi: 'P1', Gia: 100_000 },
    { MaPhiLePhi: 'L1', Gia: '25000' },
  ],
};
const result = {
  DanhSachGiayToKetQua: [
    {
      TenGiayTo: 'Giấy phép',
      MaKetQua: '125/GP-SXD',
      DuongDanTepTinKetQua: 'https://x/kq.pdf',
      DaDayKhoDuLieuCaNhan: 1,
    },
  ],
};
const dvcqgHistory = [
  dvcqgRecord({ TrangThaiHoSo: 1, NgayTiepNhan: undefined, NgayHenTra: undefined }),
  dvcqgRecord({ TrangThaiHoSo: 2, ...received }),
  dvcqgRecord({ TrangThaiHoSo: 5, ...received, ...requested }),
  dvcqgRecord({ TrangThaiHoSo: 4, ...received, ...supplemented }),
  dvcqgRecord({ TrangThaiHoSo: 6, ...received, ...supplemented, ...fees }),
  dvcqgRecord({ TrangThaiHoSo: 4, ...received, ...supplemented, ...fees, DuocThanhToanTrucTuyen: 1 }),
  dvcqgRecord({
    TrangThaiHoSo: 9,
    ...received,
    ...supplemented,
    ...fees,
    ...result,
    DuocThanhToanTrucTuyen: 1,
    NgayKetThucXuLy: '20250310100000',
  }),
  dvcqgRecord({
    TrangThaiHoSo: 10,
    ...received,
    ...supplemented,
    ...fees,
    ...result,
    DuocThanhToanTrucTuyen: 1,
    NgayKetThucXuLy: '20250310100000',
    NgayTra: '20250311100000',
  }),
];

function rows(topic: string, values: unknown[]): DossierEventRow[] {
  return values.map((value) => {
    const r = normalizeMessage(message(topic, value), OPTIONS);
    if (!r.ok || r.output.table !== 'dossier_events_v1') throw new Error(JSON.stringify(r));
    return r.output.rows[0] as DossierEventRow;
  });
}

const canonicalRows = rows(TOPICS.events, canonicalHistory);
const dvcqgRows = rows(TOPICS.dvcqg, dvcqgHistory);

describe('both dialects, one dossier state', () => {
  it('gives the same state for the same history', () => {
    const fromCanonical = foldDossierState(canonicalRows).get(DOSSIER);
    expect(fromCanonical).toEqual(foldDossierState(dvcqgRows).get(DOSSIER));
    expect(fromCanonical).toMatchObject({
      agency_code: 'H29.105',
      procedure_code: PROCEDURE,
      channel: 'online',
      submitted_at: '2025-03-04 01:30:00.000',
      received_at: '2025-03-04 02:00:00.000',
      due_at: '2025-03-18 10:00:00.000',
      finished_at: '2025-03-10 03:00:00.000',
      finish_kind: 'resolved',
      fee_vnd: 125_000,
      paid_online: 1,
      payment_channel: 'dvcqg',
      supplement_requested_at: ['2025-03-06 03:00:00.000'],
      supplement_received_at: ['2025-03-07 03:00:00.000'],
      components_digitized: 1,
      result_digitized: 1,
      docs_total: 3,
      docs_with_file: 2,
      docs_digitized: 1,
      docs_reused: 1,
      docs_from_national_store: 1,
      has_digitized_component: 1,
      result_code_and_file: 1,
      result_to_applicant_store: 1,
      vneid_verified: 1,
      population_db_used: 1,
      synced_national_at: '2025-03-04 02:05:00.000',
      last_version: Date.parse('2025-03-11T03:00:00Z'),
    });
  });

  it('does not depend on arrival order or duplicates, in either dialect or mixed', () => {
    const expected = foldDossierState(canonicalRows);
    const all = [...canonicalRows, ...dvcqgRows];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
        fc.array(fc.nat(all.length - 1), { maxLength: 10 }),
        (shuffled, dupes) => {
          const withDupes = [...shuffled, ...dupes.map((i) => all[i] as DossierEventRow)];
          expect(foldDossierState(withDupes)).toEqual(expected);
        },
      ),
    );
  });

  it('lets a newer snapshot win over an older one that arrives later', () => {
    const moved = dvcqgRecord({
      TrangThaiHoSo: 4,
      ...received,
      ...supplemented,
      NgayHenTra: '20250320170000',
    });
    const [older] = rows(TOPICS.dvcqg, [dvcqgRecord({ TrangThaiHoSo: 2, ...received })]);
    const [newer] = rows(TOPICS.dvcqg, [moved]);
    const state = foldDossierState([newer as DossierEventRow, older as DossierEventRow]).get(DOSSIER);
    expect(state?.due_at).toBe('2025-03-20 10:00:00.000');
  });
  it('keeps the appointment a late supplement replaced, and when, from either dialect or one final snapshot', () => {
    // Due 18 March; the supplement is requested only on 20 March, received on 25 March, due again 3 April.
    const canonical = rows(TOPICS.events, [
      canonicalHistory[1],
      canonicalEvent('supplement_requested', '2025-03-20T10:00:00+07:00'),
      canonicalEvent('supplement_received', '2025-03-25T11:00:00+07:00', {
        due_at: '2025-04-03T17:00:00+07:00',
      }),
    ]);
    const reissued = {
      NgayHenTra: '20250403170000',
      DanhSachHoSoBoSung: [
        {
          NgayBoSung: '20250320100000',
          NgayTiepNhanBoSung: '20250325110000',
          NgayHenTraTruoc: '20250318170000',
          NgayHenTraMoi: '20250403170000',
        },
      ],
    };
    const snapshots = rows(TOPICS.dvcqg, [
      dvcqgRecord({ TrangThaiHoSo: 2, ...received }),
      dvcqgRecord({ TrangThaiHoSo: 5, ...received, DanhSachHoSoBoSung: [{ NgayBoSung: '20250320100000' }] }),
      dvcqgRecord({ TrangThaiHoSo: 4, ...received, ...reissued }),
    ]);
    const change = (r: DossierEventRow[]) => {
      const s = foldDossierState(r).get(DOSSIER);
      return { due_at: s?.due_at, due_before_at: s?.due_before_at, due_moved_at: s?.due_moved_at };
    };
    const expected = {
      due_at: '2025-04-03 10:00:00.000',
      due_before_at: '2025-03-18 10:00:00.000',
      due_moved_at: '2025-03-25 04:00:00.000',
    };
    expect(change(canonical)).toEqual(expected);
    expect(change(snapshots)).toEqual(expected);
    expect(change(snapshots.slice(2))).toEqual(expected);
    // A system that leaves NgayHenTra as it was and sends no NgayHenTraTruoc: NgayHenTra was the one before.
    const [untouched] = rows(TOPICS.dvcqg, [
      dvcqgRecord({
        TrangThaiHoSo: 4,
        ...received,
        DanhSachHoSoBoSung: [
          {
            NgayBoSung: '20250320100000',
            NgayTiepNhanBoSung: '20250325110000',
            NgayHenTraMoi: '20250403170000',
          },
        ],
      }),
    ]);
    expect(change([untouched as DossierEventRow])).toEqual(expected);
    // Without a re-issue nothing is kept.
    expect(change(snapshots.slice(0, 2))).toEqual({
      due_at: expected.due_before_at,
      due_before_at: null,
      due_moved_at: null,
    });
  });
});
