import {
  agencyFromDossierCode,
  assertDueAfterReceipt,
  assertNotFuture,
  baseRow,
  hashApplicantId,
  type NormalizeContext,
  optionalUtc,
} from './dossier-row.ts';
import { DvcqgRecord, type DvcqgSupplement, dropBlanks } from './dvcqg-record.ts';
import { reject, rejectionFromZod } from './rejection.ts';
import type { Channel, DossierEventRow, DossierKind, FinishKind } from './rows.ts';
import { formatUtc, parseDvcqgTime } from './time.ts';

/** TrangThaiHoSo → the kind of state update a snapshot in that status represents. */
export const KIND_OF_STATUS: Record<number, DossierKind> = {
  1: 'submitted',
  2: 'received',
  3: 'rejected',
  4: 'processing',
  5: 'supplement_requested',
  6: 'payment_requested',
  7: 'withdrawn',
  8: 'stopped',
  9: 'resolved',
  10: 'result_returned',
};

const CHANNEL_OF_KENH: Record<number, Channel> = { 1: 'direct', 2: 'online', 3: 'postal' };
const APPLICANT_OF_LOAI: Record<number, 'citizen' | 'organization'> = {
  1: 'citizen',
  2: 'organization',
  3: 'organization',
};

/** Times that record facts already past; NgayHenTra (due) is left out, it may lie ahead. */
const PAST_FIELDS = [
  'NgayNopHoSo',
  'NgayTiepNhan',
  'NgayTra',
  'NgayKetThucXuLy',
  'NgayTuChoi',
  'NgayDongBoDVCQG',
] as const;

function time(text: string | undefined): number | null {
  return text === undefined ? null : parseDvcqgTime(text);
}

function isSet(flag: 0 | 1 | '0' | '1' | boolean | undefined): boolean {
  return flag === 1 || flag === '1' || flag === true;
}

function missingFinish(status: number, field: string, why: string): never {
  return reject(
    'missing_field',
    `${field}: missing; expected the finish time when TrangThaiHoSo is ${status} (${why})`,
  );
}

/** The record's times, parsed once (they were validated by the schema). */
interface Times {
  NgayNopHoSo: number | null;
  NgayTiepNhan: number | null;
  NgayHenTra: number | null;
  NgayTra: number | null;
  NgayKetThucXuLy: number | null;
  NgayTuChoi: number | null;
  NgayDongBoDVCQG: number | null;
}

/** How the snapshot's status finishes the dossier: first of resolved, returned, rejected, withdrawn, stopped. */
function finish(t: Times, status: number): { at: number; kind: FinishKind } | null {
  const ended = t.NgayKetThucXuLy;
  switch (status) {
    case 3:
      return {
        at: t.NgayTuChoi ?? ended ?? missingFinish(status, 'NgayTuChoi', 'not accepted'),
        kind: 'rejected',
      };
    case 7:
      return { at: ended ?? missingFinish(status, 'NgayKetThucXuLy', 'withdrawn'), kind: 'withdrawn' };
    case 8:
      return { at: ended ?? missingFinish(status, 'NgayKetThucXuLy', 'stopped'), kind: 'stopped' };
    case 9:
      return { at: ended ?? missingFinish(status, 'NgayKetThucXuLy', 'resolved'), kind: 'resolved' };
    case 10:
      // Resolution precedes the return of the result; the earlier one is the finish (national rule).
      if (ended !== null) return { at: ended, kind: 'resolved' };
      return {
        at: t.NgayTra ?? missingFinish(status, 'NgayTra', 'result returned'),
        kind: 'result_returned',
      };
    default:
      return null;
  }
}

function feeTotal(r: DvcqgRecord): number | null {
  if (r.DanhSachLePhi === undefined) return null;
  const total = r.DanhSachLePhi.reduce((sum, f) => sum + Number(f.Gia), 0);
  if (!Number.isSafeInteger(total)) reject('schema', 'DanhSachLePhi: expected a total below 2^53 VND');
  return total;
}

function payment(r: DvcqgRecord): Pick<DossierEventRow, 'paid_online' | 'payment_channel'> {
  if (r.DuocThanhToanTrucTuyen === undefined) return { paid_online: null, payment_channel: null };
  const code = Number(r.DuocThanhToanTrucTuyen);
  if (code === 1) return { paid_online: 1, payment_channel: 'dvcqg' };
  if (code === 2) return { paid_online: 1, payment_channel: 'local_gateway' };
  if (code === 0) return { paid_online: 0, payment_channel: null };
  return reject(
    'schema',
    `DuocThanhToanTrucTuyen: ${code} is not a known value; expected 0 (not paid online), 1 (DVCQG) or 2 (ministry/province gateway)`,
  );
}

function componentsDigitized(r: DvcqgRecord): 0 | 1 | null {
  if (isSet(r.HoSoCoThanhPhanSoHoa)) return 1;
  const docs = r.TaiLieuNop;
  // A component reused from, or taken out of, the national data warehouse is already digital.
  const digital = docs?.every(
    (d) => isSet(d.DuocSoHoa) || isSet(d.DuocTaiSuDung) || isSet(d.DuocLayTuKhoDMQG),
  );
  if (docs !== undefined && docs.length > 0) return digital ? 1 : 0;
  return r.HoSoCoThanhPhanSoHoa === undefined ? null : 0;
}

function resultDigitized(r: DvcqgRecord): 0 | 1 | null {
  if (r.DanhSachGiayToKetQua === undefined) return null;
  return r.DanhSachGiayToKetQua.some((g) => (g.DuongDanTepTinKetQua ?? '').trim() !== '') ? 1 : 0;
}

type DvcqgDocumentOf = NonNullable<DvcqgRecord['TaiLieuNop']>[number];

const present = (text: string | undefined) => text !== undefined && text.trim() !== '';

/** The submitted documents counted per flag ("at least one" and "every" stay readable); NULL without a list. */
function documentCounts(
  r: DvcqgRecord,
): Pick<
  DossierEventRow,
  'docs_total' | 'docs_with_file' | 'docs_digitized' | 'docs_reused' | 'docs_from_national_store'
> {
  const docs = r.TaiLieuNop;
  if (docs === undefined) {
    return {
      docs_total: null,
      docs_with_file: null,
      docs_digitized: null,
      docs_reused: null,
      docs_from_national_store: null,
    };
  }
  const count = (test: (d: DvcqgDocumentOf) => boolean) => docs.filter(test).length;
  return {
    docs_total: docs.length,
    docs_with_file: count((d) => present(d.DuongDanTaiTepTin) || d.TenTepDinhKem !== undefined),
    docs_digitized: count((d) => isSet(d.DuocSoHoa)),
    docs_reused: count((d) => isSet(d.DuocTaiSuDung)),
    docs_from_national_store: count((d) => isSet(d.DuocLayTuKhoDMQG)),
  };
}

/** A result document with both a result code and a file link is an electronic result (Decision 766 4.1). */
function resultCodeAndFile(r: DvcqgRecord): 0 | 1 | null {
  if (r.DanhSachGiayToKetQua === undefined) return null;
  return r.DanhSachGiayToKetQua.some((g) => present(g.MaKetQua) && present(g.DuongDanTepTinKetQua)) ? 1 : 0;
}

function resultToApplicantStore(r: DvcqgRecord): 0 | 1 | null {
  if (r.DanhSachGiayToKetQua === undefined) return null;
  return r.DanhSachGiayToKetQua.some((g) => isSet(g.DaDayKhoDuLieuCaNhan)) ? 1 : 0;
}

function optionalFlag(flag: 0 | 1 | '0' | '1' | boolean | undefined): 0 | 1 | null {
  return flag === undefined ? null : isSet(flag) ? 1 : 0;
}

function applicantId(r: DvcqgRecord): string | undefined {
  if (r.SoGiayToChuHoSo !== undefined) return String(r.SoGiayToChuHoSo);
  const first = r.DinhDanhCHS?.[0];
  if (typeof first === 'string') return first;
  if (typeof first === 'object' && first !== null && 'SoDinhDanh' in first) {
    const id = (first as { SoDinhDanh: unknown }).SoDinhDanh;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}

/** The appointment in force, since when (null: the snapshot's own time) and the one it replaced. */
interface Appointment {
  due: number | null;
  since: number | null;
  before: number | null;
}

/**
 * The appointment in force: NgayHenTra, or a later NgayHenTraMoi of a supplement entry when the system
 * re-issued the appointment there without updating NgayHenTra. The re-issued appointment already holds
 * the supplement's wait, which the on-time rule therefore no longer adds once the supplement is received.
 * It is in force from that supplement's receipt (its request, without one); before, NgayHenTraTruoc was
 * (or NgayHenTra when the system left it earlier), which a past instant is judged against.
 */
function appointment(r: DvcqgRecord, due: number | null): Appointment {
  let latest: DvcqgSupplement | undefined;
  let moved: number | null = null;
  for (const s of r.DanhSachHoSoBoSung ?? []) {
    const at = time(s.NgayHenTraMoi);
    if (at !== null && (moved === null || at >= moved)) {
      moved = at;
      latest = s;
    }
  }
  if (latest === undefined || moved === null || (due !== null && due > moved)) {
    return { due, since: null, before: null };
  }
  const before = time(latest.NgayHenTraTruoc) ?? (due !== null && due < moved ? due : null);
  return {
    due: moved,
    since: time(latest.NgayTiepNhanBoSung) ?? time(latest.NgayBoSung),
    before: before !== null && before !== moved ? before : null,
  };
}

function supplementTimes(r: DvcqgRecord, key: 'NgayBoSung' | 'NgayTiepNhanBoSung'): number[] {
  return (r.DanhSachHoSoBoSung ?? []).flatMap((s) => {
    const ms = time(s[key]);
    return ms === null ? [] : [ms];
  });
}

/** One DVCQG snapshot (already JSON-parsed) → one state-update row. Throws RejectedInput on bad input. */
export function normalizeDvcqgRecord(value: unknown, ctx: NormalizeContext): DossierEventRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('schema', '(message): expected a JSON object (one DVCQG sync record)');
  }
  const parsed = DvcqgRecord.safeParse(dropBlanks(value));
  if (!parsed.success) throw rejectionFromZod(parsed.error, 'DVCQG record');
  const r = parsed.data;
  const status = Number(r.TrangThaiHoSo);
  const kind = KIND_OF_STATUS[status];
  if (kind === undefined) {
    reject('unknown_status', `TrangThaiHoSo: ${status} is not a known status; expected 1–10`);
  }
  const channel = CHANNEL_OF_KENH[Number(r.KenhThucHien)];
  if (channel === undefined) {
    reject(
      'schema',
      `KenhThucHien: ${Number(r.KenhThucHien)} is not a known channel; expected 1 (direct), 2 (online) or 3 (postal)`,
    );
  }
  const due = appointment(r, time(r.NgayHenTra));
  const t: Times = {
    NgayNopHoSo: time(r.NgayNopHoSo),
    NgayTiepNhan: time(r.NgayTiepNhan),
    NgayHenTra: due.due,
    NgayTra: time(r.NgayTra),
    NgayKetThucXuLy: time(r.NgayKetThucXuLy),
    NgayTuChoi: time(r.NgayTuChoi),
    NgayDongBoDVCQG: time(r.NgayDongBoDVCQG),
  };
  const requested = supplementTimes(r, 'NgayBoSung');
  const receivedSupplements = supplementTimes(r, 'NgayTiepNhanBoSung');
  // The snapshot's version is its latest fact, so an older snapshot never overwrites a newer one.
  let version = -1;
  for (const field of PAST_FIELDS) {
    const ms = t[field];
    assertNotFuture(field, ms, ctx);
    if (ms !== null && ms > version) version = ms;
  }
  for (const ms of requested.concat(receivedSupplements)) {
    assertNotFuture('DanhSachHoSoBoSung', ms, ctx);
    if (ms > version) version = ms;
  }
  if (version < 0) {
    reject(
      'missing_field',
      `${PAST_FIELDS.join(', ')}: all missing; expected at least one to date the snapshot`,
    );
  }
  assertDueAfterReceipt('NgayHenTra', t.NgayHenTra, 'NgayTiepNhan', t.NgayTiepNhan);
  const ended = finish(t, status);
  const row = baseRow(
    {
      event_id: `dvcqg:${r.MaHoSo}:${version}:${status}`,
      dialect: 'dvcqg',
      source: 'dvcqg-sync',
      kind,
      dossier_code: r.MaHoSo,
      agency_code: r.DonViXuLy ?? agencyFromDossierCode(r.MaHoSo),
      occurredMs: version,
      status,
    },
    ctx.origin,
  );
  const paid = payment(r);
  row.procedure_code = r.MaTTHC;
  row.field_code = r.MaLinhVuc ?? null;
  row.channel = channel;
  row.submitted_at = optionalUtc(t.NgayNopHoSo);
  row.received_at = optionalUtc(t.NgayTiepNhan);
  row.due_at = optionalUtc(t.NgayHenTra);
  row.due_since_at = optionalUtc(due.since);
  row.due_before_at = optionalUtc(due.before);
  row.finished_at = ended ? formatUtc(ended.at) : null;
  row.finish_kind = ended?.kind ?? null;
  row.fee_vnd = feeTotal(r);
  row.paid_online = paid.paid_online;
  row.payment_channel = paid.payment_channel;
  row.supplement_requested_at = requested.map(formatUtc);
  row.supplement_received_at = receivedSupplements.map(formatUtc);
  row.components_digitized = componentsDigitized(r);
  row.result_digitized = resultDigitized(r);
  Object.assign(row, documentCounts(r));
  row.has_digitized_component = optionalFlag(r.HoSoCoThanhPhanSoHoa);
  row.result_code_and_file = resultCodeAndFile(r);
  row.result_to_applicant_store = resultToApplicantStore(r);
  row.vneid_verified = optionalFlag(r.TaiKhoanDuocXacThucVoiVNeID);
  row.population_db_used = r.MaCSDL === undefined ? null : 1;
  row.synced_national_at = optionalUtc(t.NgayDongBoDVCQG);
  row.applicant_kind =
    r.LoaiDoiTuong === undefined ? null : (APPLICANT_OF_LOAI[Number(r.LoaiDoiTuong)] ?? null);
  row.applicant_hash = hashApplicantId(applicantId(r), ctx.applicantHashKey);
  return row;
}
