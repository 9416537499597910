import { z } from 'zod';
import {
  AgencyCode,
  AmountVnd,
  ChannelSchema,
  Dropped,
  FieldCode,
  ProcedureCode,
  Timestamp,
} from './common.ts';
import type { DossierKind } from './rows.ts';

/**
 * `data` of each canonical event kind. Agency, procedure and field are optional on every kind (the
 * agency falls back to the dossier code's prefix) except where a dossier is first seen. Unknown
 * fields are accepted and dropped, so producers can add fields before we read them.
 */

const common = {
  agency_code: AgencyCode.optional().meta({ description: 'handling agency; default: dossier code prefix' }),
  procedure_code: ProcedureCode.optional(),
  field_code: FieldCode.optional(),
};

export const Fee = z.object({
  code: z.string().trim().max(64).optional().meta({ description: 'fee code (MaPhiLePhi)' }),
  amount_vnd: AmountVnd,
  name: Dropped,
});

/** The applicant's identity becomes a keyed hash; name and contact data are dropped. */
export const Applicant = z.object({
  kind: z.enum(['citizen', 'organization']),
  id_number: z
    .string()
    .max(64, { error: 'expected an identity number of at most 64 characters' })
    .optional()
    .meta({ description: 'citizen ID / tax code; only its keyed hash is kept' }),
  name: Dropped,
  phone: Dropped,
  email: Dropped,
  address: Dropped,
});

const fees = z.array(Fee).max(100, { error: 'expected at most 100 fees' });

/** One submitted document (TaiLieuNop entry); its name is dropped. */
export const SubmittedDocument = z.object({
  attached: z.boolean().optional().meta({ description: 'a file is attached (default false)' }),
  digitized: z.boolean().optional().meta({ description: 'digitized (DuocSoHoa)' }),
  reused: z.boolean().optional().meta({ description: 'reuses digitized data (DuocTaiSuDung)' }),
  from_national_store: z
    .boolean()
    .optional()
    .meta({ description: 'taken from the national document store (DuocLayTuKhoDMQG)' }),
  name: Dropped,
});

/** One result document (DanhSachGiayToKetQua entry). */
export const ResultDocument = z.object({
  code: z.string().trim().max(128).optional().meta({ description: 'result code (MaKetQua)' }),
  file_url: z.string().trim().max(2048).optional().meta({ description: 'link to the result file' }),
  to_applicant_store: z.boolean().optional().meta({ description: "pushed to the applicant's data store" }),
  name: Dropped,
});

const documents = z.array(SubmittedDocument).max(500, { error: 'expected at most 500 documents' }).meta({
  description: 'every submitted document (a later list replaces an earlier one)',
});
const results = z.array(ResultDocument).max(100, { error: 'expected at most 100 result documents' });

/** What a dossier's filing says about its documents and the applicant's identity checks. */
const filing = {
  components_digitized: z.boolean().optional(),
  documents: documents.optional(),
  has_digitized_component: z
    .boolean()
    .optional()
    .meta({ description: 'HoSoCoThanhPhanSoHoa: the dossier has digitized components' }),
  vneid_verified: z.boolean().optional().meta({ description: 'filed from a VNeID-verified account' }),
  population_db_used: z
    .boolean()
    .optional()
    .meta({ description: 'data taken from the national population database (MaCSDL)' }),
};

export const SubmittedData = z.object({
  ...common,
  procedure_code: ProcedureCode,
  channel: ChannelSchema,
  submitted_at: Timestamp.optional().meta({ description: 'default: the event time' }),
  due_at: Timestamp.optional(),
  applicant: Applicant.optional(),
  ...filing,
});

export const ReceivedData = z.object({
  ...common,
  procedure_code: ProcedureCode,
  channel: ChannelSchema.optional(),
  submitted_at: Timestamp.optional(),
  received_at: Timestamp.optional().meta({ description: 'default: the event time' }),
  due_at: Timestamp.optional().meta({
    description: 'appointment date (NgayHenTra); must not precede receipt',
  }),
  applicant: Applicant.optional(),
  ...filing,
});

export const RejectedData = z.object({ ...common, reason: Dropped });
export const ProcessingData = z.object({ ...common, due_at: Timestamp.optional() });

export const SupplementRequestedData = z.object({
  ...common,
  requested_at: Timestamp.optional().meta({ description: 'default: the event time' }),
  due_at: Timestamp.optional().meta({ description: 'new appointment date, if it moved' }),
  reason: Dropped,
});

export const SupplementReceivedData = z.object({
  ...common,
  received_at: Timestamp.optional().meta({ description: 'default: the event time' }),
  due_at: Timestamp.optional().meta({
    description:
      'appointment date re-issued on receipt (DVCQG NgayHenTraMoi); it holds the wait, which the on-time rule then no longer adds',
  }),
});

export const PaymentRequestedData = z.object({
  ...common,
  fees: fees.min(1, { error: 'expected at least one fee' }),
});

export const PaidData = z
  .object({
    ...common,
    fees: fees.optional(),
    paid_online: z.boolean(),
    payment_channel: z.enum(['dvcqg', 'local_gateway', 'offline']).optional().meta({
      description: 'required when paid_online; dvcqg = national portal, local_gateway = ministry/province',
    }),
  })
  .superRefine((d, ctx) => {
    if (d.paid_online && (d.payment_channel === undefined || d.payment_channel === 'offline')) {
      ctx.addIssue({
        code: 'custom',
        path: ['payment_channel'],
        message: 'expected dvcqg or local_gateway when paid_online is true',
      });
    }
    if (!d.paid_online && d.payment_channel !== undefined && d.payment_channel !== 'offline') {
      ctx.addIssue({
        code: 'custom',
        path: ['payment_channel'],
        message: 'expected offline or nothing when paid_online is false',
      });
    }
  });

export const WithdrawnData = z.object({ ...common, reason: Dropped });
export const StoppedData = z.object({ ...common, reason: Dropped });
const result = {
  result_digitized: z
    .boolean()
    .optional()
    .meta({ description: 'default: whether a result document has a file' }),
  results: results.optional(),
};
export const ResolvedData = z.object({ ...common, ...result });
export const ResultReturnedData = z.object({ ...common, ...result });

export const DigitizedData = z
  .object({
    ...common,
    ...result,
    components_digitized: z.boolean().optional(),
    documents: documents.optional(),
    has_digitized_component: z.boolean().optional(),
  })
  .refine(
    (d) =>
      d.components_digitized !== undefined ||
      d.result_digitized !== undefined ||
      d.documents !== undefined ||
      d.results !== undefined ||
      d.has_digitized_component !== undefined,
    {
      error: 'expected components_digitized, result_digitized, documents, results or has_digitized_component',
      params: { rejection: 'missing_field' },
    },
  );

export const SyncedToNationalPortalData = z.object({
  ...common,
  synced_at: Timestamp.optional().meta({ description: 'default: the event time' }),
  national_dossier_code: z.string().trim().max(80).optional(),
});

export const RatedData = z.object({
  ...common,
  satisfied: z.boolean(),
  score: z
    .number()
    .int()
    .min(1)
    .max(5)
    .optional()
    .meta({ description: '1 very dissatisfied … 5 very satisfied' }),
  comment: Dropped,
});

export const CANONICAL_DATA = {
  submitted: SubmittedData,
  received: ReceivedData,
  rejected: RejectedData,
  processing: ProcessingData,
  supplement_requested: SupplementRequestedData,
  supplement_received: SupplementReceivedData,
  payment_requested: PaymentRequestedData,
  paid: PaidData,
  withdrawn: WithdrawnData,
  stopped: StoppedData,
  resolved: ResolvedData,
  result_returned: ResultReturnedData,
  digitized: DigitizedData,
  synced_to_national_portal: SyncedToNationalPortalData,
  rated: RatedData,
} as const satisfies Record<DossierKind, z.ZodType>;

export type CanonicalData = { [K in DossierKind]: z.output<(typeof CANONICAL_DATA)[K]> };
