import type { Ratio, ScorecardInputs } from '../../packages/kpi/src/index766/score.ts';

/**
 * A province for the Decision 766 Kafka test: departments (one with a sub-unit) and communes, three
 * procedures and dossiers of November 2026 as DVCQG sync records. Everything the index needs is counted
 * here in plain TypeScript from these specs, independently of the pipeline's SQL.
 */

export const PERIOD = { month: '2026-11-01', quarter: '2026-10-01' } as const;

interface Unit {
  code: string;
  level: 'province' | 'commune';
  parent: string | null;
}

export const UNITS: Unit[] = [
  { code: 'H29', level: 'province', parent: null },
  { code: 'H29.10', level: 'province', parent: 'H29' },
  { code: 'H29.10.1', level: 'province', parent: 'H29.10' },
  { code: 'H29.20', level: 'province', parent: 'H29' },
  { code: 'H29.30001', level: 'commune', parent: 'H29' },
  { code: 'H29.30002', level: 'commune', parent: 'H29' },
];

interface Procedure {
  code: string;
  agency: string | null;
  levels: string[];
  online: 'none' | 'partial' | 'full';
  fee: boolean;
  paper: boolean;
  serves: string[];
  /** Explicit units with their online service status; empty: its agency and its commune level's units. */
  units: { agency_code: string; online_service: string }[];
}

export const PROCEDURES: Procedure[] = [
  {
    code: '1.000001.000.00.00.H29',
    agency: 'H29.10',
    levels: ['province'],
    online: 'full',
    fee: true,
    paper: true,
    serves: ['citizen'],
    units: [
      { agency_code: 'H29.10', online_service: 'published' },
      { agency_code: 'H29.10.1', online_service: 'trial' },
    ],
  },
  {
    code: '1.000002.000.00.00.H29',
    agency: 'H29.20',
    levels: ['province'],
    online: 'none',
    fee: false,
    paper: false,
    serves: ['organization'],
    units: [],
  },
  {
    code: '1.000003.000.00.00.H29',
    agency: null,
    levels: ['commune'],
    online: 'partial',
    fee: true,
    paper: false,
    serves: ['citizen'],
    units: [],
  },
];

/** A dossier of November 2026; times are city time `yyyyMMddHHmmss`. */
export interface Spec {
  unit: string;
  procedure: number;
  online: boolean;
  /** 1 registered (submitted only), 3 not accepted, 4 processing (open), 9 resolved, 10 result returned. */
  status: 1 | 3 | 4 | 9 | 10;
  day: number;
  /** Days from reception to the due date, and to the finish (finished dossiers). */
  dueIn: number;
  finishIn?: number;
  fees?: number[];
  paid?: 0 | 1 | 2;
  /** The result document: with a result code (and always a file). */
  resultCode?: boolean;
  docs?: { file: boolean; digitized?: boolean; reused?: boolean; store?: boolean }[];
  vneid?: boolean;
  csdl?: boolean;
  synced?: boolean;
  pushed?: boolean;
}

const p = (n: number) => String(n).padStart(2, '0');
/** Day `day` of November 2026 (later days run into the next months) at `hour`, city time. */
function at(day: number, hour = 9): string {
  const t = new Date(Date.UTC(2026, 10, day, hour));
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(hour)}0000`;
}

export const DOSSIERS: Spec[] = [
  {
    unit: 'H29.10.1',
    procedure: 0,
    online: true,
    status: 10,
    day: 2,
    dueIn: 5,
    finishIn: 3,
    fees: [20000],
    paid: 1,
    resultCode: true,
    docs: [{ file: true }, { file: true, digitized: true }],
    vneid: true,
    synced: true,
  },
  {
    unit: 'H29.10.1',
    procedure: 0,
    online: true,
    status: 9,
    day: 3,
    dueIn: 2,
    finishIn: 4,
    fees: [0, 0],
    resultCode: false,
    docs: [{ file: true }, { file: false }],
    synced: true,
  },
  {
    unit: 'H29.10',
    procedure: 0,
    online: false,
    status: 10,
    day: 4,
    dueIn: 6,
    finishIn: 6,
    fees: [15000],
    paid: 2,
    resultCode: true,
    docs: [{ file: true, store: true }],
    csdl: true,
    synced: true,
    pushed: true,
  },
  {
    unit: 'H29.10',
    procedure: 0,
    online: true,
    status: 4,
    day: 10,
    dueIn: 90,
    docs: [{ file: true, reused: true }],
  },
  { unit: 'H29.10', procedure: 0, online: true, status: 1, day: 11, dueIn: 5, fees: [30000] },
  { unit: 'H29.20', procedure: 1, online: false, status: 9, day: 5, dueIn: 10, finishIn: 12, synced: true },
  { unit: 'H29.20', procedure: 1, online: true, status: 3, day: 6, dueIn: 10 },
  {
    unit: 'H29.20',
    procedure: 1,
    online: false,
    status: 10,
    day: 7,
    dueIn: 10,
    finishIn: 2,
    resultCode: true,
    docs: [{ file: true }],
    synced: true,
  },
  {
    unit: 'H29.30001',
    procedure: 2,
    online: true,
    status: 10,
    day: 8,
    dueIn: 3,
    finishIn: 1,
    fees: [5000],
    paid: 0,
    resultCode: true,
    vneid: true,
    synced: true,
  },
  { unit: 'H29.30001', procedure: 2, online: false, status: 9, day: 9, dueIn: 3, finishIn: 3 },
  {
    unit: 'H29.30002',
    procedure: 2,
    online: true,
    status: 4,
    day: 20,
    dueIn: 60,
    fees: [5000],
    paid: 1,
    synced: true,
  },
];

/** The DVCQG sync record of a dossier (the i-th of DOSSIERS). */
export function dvcqgRecord(spec: Spec, i: number): Record<string, unknown> {
  const received = spec.status !== 1 && spec.status !== 3;
  const finished = spec.status === 9 || spec.status === 10;
  const r: Record<string, unknown> = {
    MaHoSo: `${spec.unit}-2611${p(spec.day)}-${String(i + 1).padStart(4, '0')}`,
    MaTTHC: PROCEDURES[spec.procedure]!.code,
    KenhThucHien: spec.online ? 2 : 1,
    DonViXuLy: spec.unit,
    TrangThaiHoSo: spec.status,
    NgayNopHoSo: at(spec.day, 8),
    NgayHenTra: at(spec.day + spec.dueIn, 17),
  };
  if (received) r.NgayTiepNhan = at(spec.day);
  if (spec.status === 3) r.NgayTuChoi = at(spec.day, 10);
  if (finished) r.NgayKetThucXuLy = at(spec.day + spec.finishIn!, 16);
  if (spec.status === 10) r.NgayTra = at(spec.day + spec.finishIn!, 17);
  if (spec.fees) r.DanhSachLePhi = spec.fees.map((Gia, k) => ({ MaPhiLePhi: `LP${k}`, Gia }));
  if (spec.paid !== undefined) r.DuocThanhToanTrucTuyen = spec.paid;
  if (finished && spec.resultCode !== undefined) {
    r.DanhSachGiayToKetQua = [
      {
        DuongDanTepTinKetQua: `https://dvc.example.vn/kq/${i}.pdf`,
        ...(spec.resultCode ? { MaKetQua: `KQ-${i}` } : {}),
        ...(spec.pushed ? { DaDayKhoDuLieuCaNhan: 1 } : {}),
      },
    ];
  }
  if (spec.docs) {
    r.TaiLieuNop = spec.docs.map((d, k) => ({
      ...(d.file ? { TenTepDinhKem: `tl-${k}.pdf` } : {}),
      ...(d.digitized ? { DuocSoHoa: 1 } : {}),
      ...(d.reused ? { DuocTaiSuDung: 1 } : {}),
      ...(d.store ? { DuocLayTuKhoDMQG: 1 } : {}),
    }));
  }
  if (spec.vneid) r.TaiKhoanDuocXacThucVoiVNeID = 1;
  if (spec.csdl) r.MaCSDL = 'CSDLQGDC';
  if (spec.synced) r.NgayDongBoDVCQG = at(spec.day, 12);
  return r;
}

const r = (numerator: number, denominator: number): Ratio => ({ numerator, denominator });
const count = <T>(xs: T[], f: (x: T) => boolean) => xs.filter(f).length;
const uniq = (xs: string[]) => [...new Set(xs)];

/** The unit and every unit below it (any depth). */
function unitsUnder(code: string): string[] {
  return [code, ...UNITS.filter((u) => u.parent === code).flatMap((u) => unitsUnder(u.code))];
}

/** The units a procedure is applied at, with the status of its online service there. */
function appliedAt(proc: Procedure): { unit: string; status: string }[] {
  if (proc.units.length > 0)
    return proc.units.map((u) => ({ unit: u.agency_code, status: u.online_service }));
  const fallback = [
    ...(proc.agency ? [proc.agency] : []),
    ...UNITS.filter((u) => u.level === 'commune' && proc.levels.includes('commune')).map((u) => u.code),
  ];
  const status = proc.online === 'none' ? 'none' : 'published';
  return fallback.map((unit) => ({ unit, status }));
}

/** The scorecard inputs of the city (`scope` undefined) or of a unit with its sub-units. */
export function expectedInputs(scope?: string): ScorecardInputs {
  const units = scope ? unitsUnder(scope) : UNITS.map((u) => u.code);
  const mine = DOSSIERS.filter((d) => units.includes(d.unit));
  const received = mine.filter((d) => d.status !== 1 && d.status !== 3);
  const procOf = (d: Spec) => PROCEDURES[d.procedure]!;
  const eResult = (d: Spec) => (d.status === 9 || d.status === 10) && d.resultCode === true;
  const resultFile = (d: Spec) => (d.status === 9 || d.status === 10) && d.resultCode !== undefined;
  // Finished ones against their due date; open ones are due months after the period and stay on time.
  const onTime = (d: Spec) => d.status === 4 || d.finishIn! <= d.dueIn;
  const digitized = (d: Spec) =>
    (d.docs ?? []).length > 0 &&
    d.docs!.every((x) => x.file) &&
    (eResult(d) || resultFile(d) || d.status === 4);
  const popDb = (d: Spec) => d.vneid === true || d.csdl === true;
  const feeDossier = (d: Spec) =>
    procOf(d).fee && !(d.fees !== undefined && d.fees.reduce((s, x) => s + x, 0) === 0);
  const applied = PROCEDURES.flatMap((proc) =>
    appliedAt(proc)
      .filter((a) => scope === undefined || units.includes(a.unit))
      .map((a) => ({ proc, ...a })),
  );
  const procs = uniq(scope === undefined ? PROCEDURES.map((x) => x.code) : applied.map((a) => a.proc.code));
  const byCode = (code: string) => PROCEDURES.find((x) => x.code === code)!;
  const services = uniq(
    applied
      .filter((a) => ['published', 'trial', 'pending_withdrawal'].includes(a.status))
      .map((a) => `${a.unit}|${a.proc.code}`),
  );
  const used = uniq(received.filter((d) => d.online).map((d) => `${d.unit}|${procOf(d).code}`));
  const feeProcs = procs.filter((c) => byCode(c).fee);
  const withFee = uniq(mine.filter((d) => (d.fees ?? []).some((x) => x > 0)).map((d) => procOf(d).code));
  const paidProcs = uniq(received.filter((d) => d.paid === 1 || d.paid === 2).map((d) => procOf(d).code));
  const citizen = procs.filter((c) => byCode(c).serves.includes('citizen'));
  const popDbProcs = uniq(received.filter(popDb).map((d) => procOf(d).code));
  const n = received.length;
  return {
    ratios: {
      'index766.transparency.synchronised': r(
        count(received, (d) => d.synced === true),
        n,
      ),
      'index766.progress': r(count(received, onTime), n),
      'index766.online_service.procedures_online': r(
        procs.filter((c) => byCode(c).online !== 'none').length,
        procs.length,
      ),
      'index766.online_service.services_used': r(
        services.filter((s) => used.includes(s)).length,
        services.length,
      ),
      'index766.online_service.online_dossiers': r(
        count(received, (d) => d.online && (!procOf(d).paper || eResult(d))),
        n,
      ),
      'index766.online_payment.dossiers_paid': r(
        count(received, (d) => feeDossier(d) && (d.paid === 1 || d.paid === 2)),
        count(received, feeDossier),
      ),
      'index766.online_payment.procedures_with_fee': r(
        feeProcs.filter((c) => withFee.includes(c)).length,
        feeProcs.length,
      ),
      'index766.online_payment.procedures_paid': r(
        feeProcs.filter((c) => paidProcs.includes(c)).length,
        feeProcs.length,
      ),
      // No ratings and no petitions: neither late nor dissatisfied is on time.
      'index766.satisfaction.dossier_satisfaction': r(count(received, onTime), n),
      'index766.digitization.e_result': r(count(received, eResult), n),
      'index766.digitization.digitized_dossiers': r(count(received, digitized), n),
      'index766.digitization.reuse': r(
        count(received, (d) => (d.docs ?? []).some((x) => x.digitized || x.reused)),
        n,
      ),
      'index766.digitization.shared': r(
        count(received, (d) => (d.docs ?? []).some((x) => x.store) || d.pushed === true),
        n,
      ),
      'index766.digitization.population_db_procedures': r(
        citizen.filter((c) => popDbProcs.includes(c)).length,
        citizen.length,
      ),
      'index766.digitization.population_db_dossiers': r(count(received, popDb), n),
    },
  };
}
