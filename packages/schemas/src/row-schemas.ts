import { z } from 'zod';
import {
  CHANNELS,
  DOSSIER_KINDS,
  FINISH_KINDS,
  INDEX766_EXTERNAL_FIGURES,
  ONLINE_SERVICE_STATUSES,
  SUBJECTS,
} from './rows.ts';

/**
 * zod schemas of the normalized rows (rows.ts), for tests and for anyone who wants to check a row
 * before it reaches ClickHouse. Ranges follow the ClickHouse column types.
 */

const UTC = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;
const utc = z.string().regex(UTC);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const bit = z.union([z.literal(0), z.literal(1)]);
const upperCode = z
  .string()
  .min(1)
  .regex(/^[A-Z0-9][A-Z0-9._-]*$/);
const uint8 = z.number().int().min(0).max(255);
const adminLevel = z.enum(['province', 'district', 'commune']);
const docCount = z.number().int().min(0).max(65_535).nullable();

export const DossierEventRowSchema = z.strictObject({
  event_id: z.string().min(1),
  dialect: z.enum(['canonical', 'dvcqg']),
  source: z.string().min(1),
  kind: z.enum(DOSSIER_KINDS),
  dossier_code: upperCode,
  agency_code: upperCode,
  procedure_code: upperCode.nullable(),
  field_code: upperCode.nullable(),
  occurred_at: utc,
  version: z.number().int().min(0),
  status: z.number().int().min(1).max(10).nullable(),
  channel: z.enum(CHANNELS).nullable(),
  submitted_at: utc.nullable(),
  received_at: utc.nullable(),
  due_at: utc.nullable(),
  due_since_at: utc.nullable(),
  due_before_at: utc.nullable(),
  finished_at: utc.nullable(),
  finish_kind: z.enum(FINISH_KINDS).nullable(),
  fee_vnd: z.number().int().min(0).nullable(),
  paid_online: bit.nullable(),
  payment_channel: z.enum(['dvcqg', 'local_gateway', 'offline']).nullable(),
  supplement_requested_at: z.array(utc),
  supplement_received_at: z.array(utc),
  components_digitized: bit.nullable(),
  result_digitized: bit.nullable(),
  docs_total: docCount,
  docs_with_file: docCount,
  docs_digitized: docCount,
  docs_reused: docCount,
  docs_from_national_store: docCount,
  has_digitized_component: bit.nullable(),
  result_code_and_file: bit.nullable(),
  result_to_applicant_store: bit.nullable(),
  vneid_verified: bit.nullable(),
  population_db_used: bit.nullable(),
  synced_national_at: utc.nullable(),
  rating_satisfied: bit.nullable(),
  rating_score: uint8.min(1).max(5).nullable(),
  applicant_kind: z.enum(['citizen', 'organization']).nullable(),
  applicant_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  source_topic: z.string().min(1),
  source_partition: z.number().int().min(0).max(4_294_967_295),
  source_offset: z.string().regex(/^\d+$/),
});

export const ProcedureRowSchema = z.strictObject({
  procedure_code: upperCode,
  name: z.string().min(1),
  field_code: upperCode,
  agency_code: upperCode.nullable(),
  admin_levels: z.array(adminLevel).min(1),
  online_eligible: bit,
  online_class: z.enum(['none', 'partial', 'full']),
  full_process_eligible: bit,
  fee_bearing: bit,
  online_payment: bit,
  dvcqg_integrated: bit,
  max_processing_working_days: z.number().min(0).nullable(),
  paper_result_required: bit,
  serves: z.array(z.enum(SUBJECTS)).min(1),
  applied_units: z.array(upperCode),
  unit_service_status: z.array(z.enum(ONLINE_SERVICE_STATUSES)),
  valid_from: date,
  valid_to: date.nullable(),
  version: z.number().int().min(0),
});

export const AgencyRowSchema = z.strictObject({
  agency_code: upperCode,
  name: z.string().min(1),
  admin_level: adminLevel,
  parent_code: upperCode.nullable(),
  valid_from: date,
  valid_to: date.nullable(),
  version: z.number().int().min(0),
});

export const Index766ExternalRowSchema = z.strictObject({
  scope_kind: z.enum(['city', 'agency']),
  scope_code: z.string(),
  period_kind: z.enum(['month', 'quarter', 'year']),
  period_start: date,
  figure: z.enum(INDEX766_EXTERNAL_FIGURES),
  dossier_code: z.string(),
  numerator: z.number().int().min(0),
  denominator: z.number().int().min(0),
  source: z.string().min(1),
  loaded_at: utc,
  load_id: z.string().min(1),
  csv_line: z.number().int().min(2),
  event_id: z.string().regex(/^[0-9a-f]{32}$/),
});
