import { z } from 'zod';
import { AgencyCode, DossierCode, Dropped, FieldCode, ProcedureCode } from './common.ts';
import { DVCQG_TIME_PATTERN, isDvcqgTime } from './time.ts';

/**
 * The DVCQG synchronisation record (one full dossier snapshot) as agency systems send it to the
 * national portal. Empty strings and nulls mean "absent" (the normalizer removes them before
 * validation). Personal fields are declared only to document that they are dropped or hashed.
 */

const Time = z
  .string()
  .refine(isDvcqgTime, {
    error: 'expected an existing yyyyMMddHHmmss time (Asia/Ho_Chi_Minh), year 2000–2099, e.g. 20250304083000',
    params: { rejection: 'bad_date' },
  })
  .meta({ pattern: DVCQG_TIME_PATTERN, examples: ['20250304083000'] });

function intCode(expected: string) {
  return z
    .union(
      [
        z.number().int(),
        z
          .string()
          .trim()
          .regex(/^\d{1,3}$/, { error: `expected an integer code: ${expected}` }),
      ],
      { error: `expected an integer code: ${expected}` },
    )
    .meta({ description: expected });
}

const Flag = z.union([z.literal(0), z.literal(1), z.literal('0'), z.literal('1'), z.boolean()], {
  error: 'expected 0 or 1',
});

export const DvcqgFee = z.object({
  MaPhiLePhi: z.string().max(64).optional(),
  Gia: z
    .union([z.number(), z.string().trim()], { error: 'expected an amount in VND' })
    .superRefine((value, ctx) => {
      const n = typeof value === 'number' ? value : /^-?\d+(\.0+)?$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(n))
        ctx.addIssue({ code: 'custom', message: 'expected a whole number of VND' });
      else if (n < 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected an amount ≥ 0 VND',
          params: { rejection: 'negative_fee' },
        });
      }
    })
    .meta({ description: 'amount in VND (number or string of digits), ≥ 0' }),
  TenPhiLePhi: Dropped,
  LoaiPhiLePhi: Dropped,
  HinhThucThu: Dropped,
});

export const DvcqgSupplement = z.object({
  NgayBoSung: Time.optional().meta({ description: 'when the supplement was requested' }),
  NgayTiepNhanBoSung: Time.optional().meta({ description: 'when the supplement was received' }),
  NgayHenTraTruoc: Time.optional().meta({ description: 'the appointment date before the supplement' }),
  NgayHenTraMoi: Time.optional().meta({
    description:
      'the appointment date re-issued for the supplement (it holds the wait); the later of it and NgayHenTra is the due date',
  }),
  NguoiYeuCau: Dropped,
  NoiDungBoSung: Dropped,
});
export type DvcqgSupplement = z.output<typeof DvcqgSupplement>;

const Text = (max: number, description: string) => z.string().max(max).optional().meta({ description });

export const DvcqgDocument = z.object({
  DuocSoHoa: Flag.optional().meta({ description: '1: the document was digitized' }),
  DuocTaiSuDung: Flag.optional().meta({ description: '1: the document reuses digitized data' }),
  DuocLayTuKhoDMQG: Flag.optional().meta({ description: '1: taken from the national document store' }),
  DuongDanTaiTepTin: Text(
    2048,
    'link to the attached file; a document with a link or a file name has a file',
  ),
  TenTepDinhKem: z
    .unknown()
    .optional()
    .meta({ description: 'attached file name: only whether one is given is kept (a file is attached)' }),
});

export const DvcqgResultDocument = z.object({
  MaKetQua: Text(128, 'result code (số, ký hiệu of the result document)'),
  DuongDanTepTinKetQua: Text(2048, 'link to the result file'),
  DaDayKhoDuLieuCaNhan: Flag.optional().meta({
    description: "1: the electronic result was pushed to the applicant's data store",
  }),
  TenGiayTo: Dropped,
});

const list = <T extends z.ZodType>(item: T) =>
  z.array(item).max(500, { error: 'expected at most 500 entries' });

export const DvcqgRecord = z.object({
  MaHoSo: DossierCode,
  MaTTHC: ProcedureCode,
  TenTTHC: Dropped,
  MaLinhVuc: FieldCode.optional(),
  TenLinhVuc: Dropped,
  KenhThucHien: intCode('1 direct, 2 online, 3 postal'),
  TrangThaiHoSo: intCode('1–10'),
  NgayNopHoSo: Time.optional(),
  NgayTiepNhan: Time.optional(),
  NgayHenTra: Time.optional().meta({ description: 'appointment (due) date; may lie in the future' }),
  NgayTra: Time.optional(),
  NgayKetThucXuLy: Time.optional(),
  NgayTuChoi: Time.optional(),
  DanhSachLePhi: list(DvcqgFee).optional(),
  DuocThanhToanTrucTuyen: intCode(
    '0 not paid online, 1 paid on DVCQG, 2 paid on a ministry/province gateway',
  ).optional(),
  DanhSachHoSoBoSung: list(DvcqgSupplement).optional(),
  TaiLieuNop: list(DvcqgDocument).optional(),
  DanhSachGiayToKetQua: list(DvcqgResultDocument).optional(),
  HoSoCoThanhPhanSoHoa: Flag.optional(),
  TaiKhoanDuocXacThucVoiVNeID: Flag.optional().meta({
    description: '1: filed from a VNeID-verified account',
  }),
  MaCSDL: z
    .union([z.string().max(64), z.number().int()], { error: 'expected a database code' })
    .optional()
    .meta({
      description:
        'code of the national database data was taken from (population database); only its presence is kept',
    }),
  NgayDongBoDVCQG: Time.optional().meta({
    description:
      'when the national portal acknowledged this dossier’s synchronisation (its sync acknowledgement)',
  }),
  LoaiDoiTuong: intCode('1 citizen, 2 enterprise, 3 organization').optional(),
  DonViXuLy: AgencyCode.optional().meta({ description: 'handling agency code; default: MaHoSo prefix' }),
  ChuHoSo: Dropped,
  SoGiayToChuHoSo: z
    .union([z.string().max(64), z.number().int()], { error: 'expected an identity number' })
    .optional()
    .meta({ description: 'identity number; only its keyed hash is kept' }),
  DinhDanhCHS: z
    .array(z.unknown())
    .max(20)
    .optional()
    .meta({ description: 'identities (strings or {SoDinhDanh}); only the first one’s keyed hash is kept' }),
  SoDienThoaiChuHoSo: Dropped,
  EmailChuHoSo: Dropped,
  DiaChiChuHoSo: Dropped,
});
export type DvcqgRecord = z.output<typeof DvcqgRecord>;

function isBlank(v: unknown): boolean {
  return v === null || (typeof v === 'string' && v.trim() === '');
}

function hasBlanks(value: unknown, depth: number): boolean {
  if (depth > 3 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => hasBlanks(v, depth + 1));
  for (const v of Object.values(value)) if (isBlank(v) || hasBlanks(v, depth + 1)) return true;
  return false;
}

function withoutBlanks(value: unknown, depth: number): unknown {
  if (depth > 3 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => withoutBlanks(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (isBlank(v)) continue;
    const cleaned = withoutBlanks(v, depth + 1);
    // A JSON key "__proto__" must stay a plain key, not replace the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: cleaned, enumerable: true, writable: true });
    else out[key] = cleaned;
  }
  return out;
}

/** Removes null and blank-string values (DVCQG systems send both for "absent"), a few levels deep. */
export function dropBlanks(value: unknown): unknown {
  // Most records have nothing to remove; checking first avoids copying them.
  return hasBlanks(value, 0) ? withoutBlanks(value, 0) : value;
}
