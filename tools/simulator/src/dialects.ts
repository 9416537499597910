import { formatHoChiMinh, STATUS_OF_KIND } from '@dossier/schemas';
import type { Dossier, Step } from './lifecycle.ts';
import { dvcqgTime } from './time.ts';

/** Logical topic; the producer maps it to the configured topic name. */
export type TopicKind = 'events' | 'dvcqg' | 'catalog';

export interface SimMessage {
  topic: TopicKind;
  key: string;
  value: string;
  /** When the fact happened (ms); live mode sends a message once this time has come. */
  at: number;
}

const FEE_CODE = 'LP01';

function context(d: Dossier) {
  return { agency_code: d.agency.code, procedure_code: d.procedure.code, field_code: d.procedure.fieldCode };
}

function applicant(d: Dossier) {
  return { kind: d.applicant.kind, id_number: d.applicant.idNumber, name: d.applicant.name };
}

/** What the filing says about documents and identity checks (both first-sight kinds carry it). */
function filing(d: Dossier) {
  return {
    documents: d.documents.map((doc) => ({
      attached: doc.attached,
      digitized: doc.digitized,
      reused: doc.reused,
      from_national_store: doc.fromNationalStore,
    })),
    has_digitized_component: d.documents.some((doc) => doc.digitized),
    vneid_verified: d.vneidVerified,
    population_db_used: d.populationDbUsed,
  };
}

function resultUrl(d: Dossier): string {
  return `https://dichvucong.example/kq/${d.code}.pdf`;
}

function results(d: Dossier, digitized: boolean) {
  return [
    {
      code: d.resultCode ?? undefined,
      file_url: digitized ? resultUrl(d) : undefined,
      to_applicant_store: digitized && d.resultToApplicantStore,
    },
  ];
}

/** Kind-specific data; the agency/procedure/field context is added once per dossier by the caller. */
function canonicalData(d: Dossier, step: Step, filedAt: number): Record<string, unknown> {
  const base = {};
  const amount = d.feeList === 'exempt' ? 0 : d.feeVnd;
  const fees = [{ code: FEE_CODE, amount_vnd: amount, name: 'Lệ phí giải quyết thủ tục' }];
  switch (step.kind) {
    case 'submitted':
      return {
        ...base,
        channel: d.channel,
        submitted_at: formatHoChiMinh(step.at),
        applicant: applicant(d),
        ...filing(d),
      };
    case 'received':
      return {
        ...base,
        channel: d.channel,
        submitted_at: formatHoChiMinh(filedAt),
        received_at: formatHoChiMinh(step.at),
        due_at: formatHoChiMinh(step.due ?? step.at),
        applicant: applicant(d),
        components_digitized: step.componentsDigitized ?? false,
        ...filing(d),
      };
    case 'processing':
      return { ...base, due_at: step.due === undefined ? undefined : formatHoChiMinh(step.due) };
    case 'supplement_requested':
      return { ...base, requested_at: formatHoChiMinh(step.at), reason: 'Bổ sung thành phần hồ sơ' };
    case 'supplement_received':
      // The appointment re-issued on receipt: it holds the wait.
      return {
        ...base,
        received_at: formatHoChiMinh(step.at),
        due_at: step.due === undefined ? undefined : formatHoChiMinh(step.due),
      };
    case 'payment_requested':
      return { ...base, fees };
    case 'paid':
      return {
        ...base,
        fees: d.feeList === 'listed' ? fees : undefined,
        paid_online: step.paidOnline ?? false,
        payment_channel: step.paymentChannel ?? 'offline',
      };
    case 'resolved':
    case 'result_returned':
      return {
        ...base,
        result_digitized: step.resultDigitized ?? false,
        results: results(d, step.resultDigitized ?? false),
      };
    case 'digitized':
      return {
        ...base,
        components_digitized: step.componentsDigitized,
        result_digitized: step.resultDigitized,
        results: step.resultDigitized ? results(d, true) : undefined,
      };
    case 'synced_to_national_portal':
      return { ...base, synced_at: formatHoChiMinh(step.at) };
    case 'rated':
      return { ...base, satisfied: step.satisfied ?? true, score: step.score };
    case 'rejected':
    case 'withdrawn':
    case 'stopped':
      return { ...base, reason: 'Theo quy định' };
  }
}

/** Joins two JSON objects' texts: `{"a":1}` + `{"b":2}` → `{"a":1,"b":2}`. */
function joinObjects(head: string, tail: string): string {
  return tail === '{}' ? head : `${head.slice(0, -1)},${tail.slice(1)}`;
}

/**
 * The constant parts of a dossier's JSON are serialized once and spliced into every message: the
 * backlog writes millions of messages and serialization is most of its cost.
 */
function canonicalEvent(
  d: Dossier,
  step: Step,
  id: string,
  source: string,
  filedAt: number,
  context = contextJson(d),
): SimMessage {
  const envelope = JSON.stringify({
    specversion: '1.0',
    id,
    source,
    type: `vn.dossier.${step.kind}`,
    time: formatHoChiMinh(step.at),
    subject: d.code,
    datacontenttype: 'application/json',
  });
  const data = joinObjects(context, JSON.stringify(canonicalData(d, step, filedAt)));
  return { topic: 'events', key: d.code, at: step.at, value: `${envelope.slice(0, -1)},"data":${data}}` };
}

function contextJson(d: Dossier): string {
  return JSON.stringify(context(d));
}

/** One CloudEvents 1.0 event per step; the id is stable, so a resend is a duplicate, not a new fact. */
export function canonicalMessages(d: Dossier): SimMessage[] {
  const filedAt = d.steps[0]?.at ?? 0;
  const source = `/agency/${d.agency.code}/mot-cua`;
  const context = contextJson(d);
  const out = d.steps.map((step, i) =>
    canonicalEvent(d, step, `sim:${d.code}:${i}`, source, filedAt, context),
  );
  // An exempted dossier's system synchronises a fee list of zeros at reception.
  const received = d.steps.find((s) => s.kind === 'received');
  if (d.feeList === 'exempt' && received) {
    const zero: Step = { kind: 'payment_requested', at: received.at };
    out.push(canonicalEvent(d, zero, `sim:${d.code}:exempt`, source, filedAt, context));
  }
  return out;
}

/**
 * TrangThaiHoSo of the DVCQG snapshot sent after a step: the status the step puts the dossier in
 * (STATUS_OF_KIND, shared with the ingestor), except that a payment has no status of its own in DVCQG and
 * the snapshot after it shows the dossier back in processing. Null: the step sends no snapshot.
 */
function snapshotStatus(kind: Step['kind']): number | null {
  return kind === 'paid' ? STATUS_OF_KIND.processing : STATUS_OF_KIND[kind];
}

const KENH = { direct: 1, online: 2, postal: 3 } as const;

/**
 * DVCQG sync records: a full snapshot of the dossier after every status change, as agency systems
 * send them to the national portal. Ratings have no place in the record; the portal's rating
 * service sends them as canonical events, which is what happens here too.
 */
export function dvcqgMessages(d: Dossier): SimMessage[] {
  const out: SimMessage[] = [];
  const filedAt = d.steps[0]?.at ?? 0;
  const fixed = JSON.stringify({
    MaHoSo: d.code,
    MaTTHC: d.procedure.code,
    TenTTHC: d.procedure.name,
    MaLinhVuc: d.procedure.fieldCode,
    KenhThucHien: KENH[d.channel],
    NgayNopHoSo: dvcqgTime(filedAt),
    LoaiDoiTuong: d.applicant.kind === 'citizen' ? 1 : 2,
    ChuHoSo: d.applicant.name,
    SoGiayToChuHoSo: d.applicant.idNumber,
    DonViXuLy: d.agency.code,
  });
  const record: Record<string, unknown> = {};
  const supplements: Record<string, string>[] = [];
  for (const step of d.steps) {
    const status = snapshotStatus(step.kind);
    if (step.kind === 'submitted' || step.kind === 'received') {
      record.TaiLieuNop = d.documents.map((doc, i) => ({
        TenTepDinhKem: doc.attached ? `tai-lieu-${i + 1}.pdf` : undefined,
        DuocSoHoa: doc.digitized ? 1 : 0,
        DuocTaiSuDung: doc.reused ? 1 : 0,
        DuocLayTuKhoDMQG: doc.fromNationalStore ? 1 : 0,
      }));
      record.HoSoCoThanhPhanSoHoa = d.documents.some((doc) => doc.digitized) ? 1 : 0;
      record.TaiKhoanDuocXacThucVoiVNeID = d.vneidVerified ? 1 : 0;
      if (d.populationDbUsed) record.MaCSDL = 'CSDLQGDC';
    }
    if (step.kind === 'received') {
      record.NgayTiepNhan = dvcqgTime(step.at);
      if (d.feeList === 'exempt')
        record.DanhSachLePhi = [{ MaPhiLePhi: FEE_CODE, Gia: 0, TenPhiLePhi: 'Lệ phí' }];
    }
    if (step.kind === 'synced_to_national_portal') {
      // The national portal's acknowledgement: the agency system records it and resends the record.
      record.NgayDongBoDVCQG = dvcqgTime(step.at);
      if (record.TrangThaiHoSo !== undefined) {
        out.push({
          topic: 'dvcqg',
          key: d.code,
          at: step.at,
          value: joinObjects(fixed, JSON.stringify(record)),
        });
      }
      continue;
    }
    const before = record.NgayHenTra as string | undefined;
    if (step.due !== undefined) record.NgayHenTra = dvcqgTime(step.due);
    if (step.kind === 'supplement_requested')
      supplements.push({ NgayBoSung: dvcqgTime(step.at), NoiDungBoSung: 'Bổ sung giấy tờ' });
    if (step.kind === 'supplement_received') {
      const open = supplements[supplements.length - 1];
      if (open) {
        open.NgayTiepNhanBoSung = dvcqgTime(step.at);
        // The appointment re-issued on receipt, and the one it replaced.
        if (before !== undefined) open.NgayHenTraTruoc = before;
        if (step.due !== undefined) open.NgayHenTraMoi = dvcqgTime(step.due);
      }
    }
    if (supplements.length > 0) record.DanhSachHoSoBoSung = supplements.map((s) => ({ ...s }));
    if (step.kind === 'payment_requested' && d.feeList === 'listed')
      record.DanhSachLePhi = [{ MaPhiLePhi: FEE_CODE, Gia: d.feeVnd, TenPhiLePhi: 'Lệ phí' }];
    if (step.kind === 'paid')
      record.DuocThanhToanTrucTuyen = !step.paidOnline ? 0 : step.paymentChannel === 'dvcqg' ? 1 : 2;
    if (step.kind === 'rejected') record.NgayTuChoi = dvcqgTime(step.at);
    if (step.kind === 'resolved' || step.kind === 'withdrawn' || step.kind === 'stopped') {
      record.NgayKetThucXuLy = dvcqgTime(step.at);
    }
    if (step.kind === 'resolved') {
      record.DanhSachGiayToKetQua = [
        {
          MaKetQua: d.resultCode ?? '',
          DuongDanTepTinKetQua: step.resultDigitized ? resultUrl(d) : '',
          DaDayKhoDuLieuCaNhan: step.resultDigitized && d.resultToApplicantStore ? 1 : 0,
        },
      ];
    }
    if (step.kind === 'result_returned') record.NgayTra = dvcqgTime(step.at);
    if (step.kind === 'rated') {
      out.push(canonicalEvent(d, step, `sim:${d.code}:rating`, '/dvcqg/danh-gia', filedAt));
      continue;
    }
    if (status === null) continue;
    record.TrangThaiHoSo = status;
    out.push({ topic: 'dvcqg', key: d.code, at: step.at, value: joinObjects(fixed, JSON.stringify(record)) });
  }
  return out;
}
