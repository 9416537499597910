import { z } from 'zod';
import { CanonicalEnvelope } from './canonical-event.ts';
import { AgencyCode, FieldCode, IsoDateSchema, ProcedureCode } from './common.ts';
import { assertNotFuture, type NormalizeContext } from './dossier-row.ts';
import { reject, rejectionFromZod } from './rejection.ts';
import {
  type AgencyRow,
  type NormalizedRows,
  ONLINE_SERVICE_STATUSES,
  type OnlineClass,
  type OnlineServiceStatus,
  type ProcedureRow,
  SUBJECTS,
} from './rows.ts';
import { parseRfc3339 } from './time.ts';

/**
 * Catalog upserts on the catalog topic, as CloudEvents like dossier events. Validity is the half-open
 * range [valid_from, valid_to); the event time (ms) is the row version, so a later upsert of the same
 * (code, valid_from) replaces an earlier one.
 */

export const AdminLevelSchema = z.enum(['province', 'district', 'commune']);
export const OnlineClassSchema = z.enum(['none', 'partial', 'full']);

/** The district level ended on this day (agencies merged into provinces and communes). */
export const DISTRICT_LEVEL_END = '2025-07-01';

/** Factors to working days: a week has 5 working days in 7, a working day 8 hours, a month ≈ 22 working days. */
export const WORKING_DAYS_PER_UNIT = { WORKING_DAY: 1, DAY: 5 / 7, HOUR: 1 / 8, MONTH: 22 } as const;

export const ProcessingTime = z.object({
  value: z.number().positive().max(100_000),
  unit: z.enum(['WORKING_DAY', 'DAY', 'HOUR', 'MONTH']),
});

function validity(d: { valid_from: string; valid_to?: string | null | undefined }, ctx: z.RefinementCtx) {
  if (d.valid_to != null && d.valid_to <= d.valid_from) {
    ctx.addIssue({
      code: 'custom',
      path: ['valid_to'],
      message: 'expected a date after valid_from (range is [from, to))',
    });
  }
}

export const AppliedUnit = z.object({
  agency_code: AgencyCode,
  online_service: z.enum(ONLINE_SERVICE_STATUSES).optional().meta({
    description:
      "status of the procedure's online service at this unit; default: published when the procedure is offered online, else none",
  }),
});

export const ProcedureUpsertData = z
  .object({
    code: ProcedureCode,
    name: z.string().trim().min(1).max(1000),
    field_code: FieldCode,
    agency_code: AgencyCode.nullable().optional().meta({ description: 'responsible agency, if one' }),
    admin_levels: z.array(AdminLevelSchema).min(1).max(3),
    online_eligible: z.boolean().meta({ description: 'eligible to be offered as an online service' }),
    online_class: OnlineClassSchema.optional().meta({ description: 'offered online: none, partial or full' }),
    online_level: z
      .number()
      .int()
      .min(1)
      .max(4)
      .optional()
      .meta({ description: 'legacy level instead of online_class: 4 → full, 3 → partial, 1–2 → none' }),
    full_process_eligible: z.boolean(),
    fee_bearing: z
      .boolean()
      .meta({ description: 'a non-zero fee or charge in the national procedure database' }),
    paper_result_required: z
      .boolean()
      .optional()
      .meta({ description: 'the procedure must return a paper result (default false)' }),
    serves: z
      .array(z.enum(SUBJECTS))
      .min(1)
      .max(2)
      .optional()
      .meta({ description: 'whom it serves: citizen, organization (default both)' }),
    applied_units: z.array(AppliedUnit).max(2000).optional().meta({
      description:
        'units the procedure is applied at, each with its online service status; default: its agency, or every unit of its commune/district levels',
    }),
    online_payment: z.boolean().meta({ description: 'accepts online payment' }),
    dvcqg_integrated: z.boolean().meta({ description: 'integrated on the national portal' }),
    max_processing_time: ProcessingTime.nullable()
      .optional()
      .meta({ description: 'legal maximum; null if none' }),
    valid_from: IsoDateSchema,
    valid_to: IsoDateSchema.nullable().optional(),
  })
  .superRefine((d, ctx) => {
    validity(d, ctx);
    const units = (d.applied_units ?? []).map((u) => u.agency_code);
    if (new Set(units).size !== units.length) {
      ctx.addIssue({ code: 'custom', path: ['applied_units'], message: 'expected each unit at most once' });
    }
    if (d.online_class === undefined && d.online_level === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['online_class'],
        message: 'expected online_class or online_level',
      });
    } else if (d.online_class !== undefined && d.online_level !== undefined) {
      if (onlineClassOfLevel(d.online_level) !== d.online_class) {
        ctx.addIssue({
          code: 'custom',
          path: ['online_level'],
          message: 'expected a level that agrees with online_class',
        });
      }
    }
  });

export const AgencyUpsertData = z
  .object({
    code: AgencyCode,
    name: z.string().trim().min(1).max(500),
    admin_level: AdminLevelSchema,
    parent_code: AgencyCode.nullable().optional(),
    valid_from: IsoDateSchema,
    valid_to: IsoDateSchema.nullable().optional(),
  })
  .superRefine((d, ctx) => {
    validity(d, ctx);
    if (d.admin_level === 'district' && d.valid_from >= DISTRICT_LEVEL_END) {
      ctx.addIssue({
        code: 'custom',
        path: ['valid_from'],
        message: `expected a date before ${DISTRICT_LEVEL_END} for a district agency (the district level ended then)`,
      });
    }
    if (d.parent_code != null && d.parent_code === d.code) {
      ctx.addIssue({
        code: 'custom',
        path: ['parent_code'],
        message: 'expected a parent other than the agency itself',
      });
    }
  });

const envelope = CanonicalEnvelope.omit({ type: true, subject: true }).extend({
  subject: z.string().max(80).optional().meta({ description: 'the procedure or agency code (informative)' }),
});
export const ProcedureUpsert = envelope.extend({
  type: z.literal('vn.catalog.procedure'),
  data: ProcedureUpsertData,
});
export const AgencyUpsert = envelope.extend({ type: z.literal('vn.catalog.agency'), data: AgencyUpsertData });

export function onlineClassOfLevel(level: number): OnlineClass {
  return level >= 4 ? 'full' : level === 3 ? 'partial' : 'none';
}

/** Legal maximum processing time in working days, rounded to 0.01 (see WORKING_DAYS_PER_UNIT). */
export function toWorkingDays(time: z.output<typeof ProcessingTime> | null | undefined): number | null {
  if (time == null) return null;
  return Math.round(time.value * WORKING_DAYS_PER_UNIT[time.unit] * 100) / 100;
}

const bit = (b: boolean): 0 | 1 => (b ? 1 : 0);

/** A unit listed without a status has the procedure's online service published there if it is offered online. */
function defaultServiceStatus(onlineClass: OnlineClass): OnlineServiceStatus {
  return onlineClass === 'none' ? 'none' : 'published';
}

function eventTime(time: string, ctx: NormalizeContext): number {
  const ms = parseRfc3339(time);
  if (ms === null) return reject('bad_date', 'time: expected an existing RFC 3339 timestamp with offset');
  assertNotFuture('time', ms, ctx);
  return ms;
}

/** One catalog message (already JSON-parsed) → one procedure or agency row. Throws RejectedInput. */
export function normalizeCatalogMessage(value: unknown, ctx: NormalizeContext): NormalizedRows {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === 'vn.catalog.procedure') {
    const parsed = ProcedureUpsert.safeParse(value);
    if (!parsed.success) throw rejectionFromZod(parsed.error, 'procedure upsert');
    const d = parsed.data.data;
    const onlineClass = d.online_class ?? onlineClassOfLevel(d.online_level ?? 1);
    const units = [...(d.applied_units ?? [])].sort((a, b) => a.agency_code.localeCompare(b.agency_code));
    const row: ProcedureRow = {
      procedure_code: d.code,
      name: d.name,
      field_code: d.field_code,
      agency_code: d.agency_code ?? null,
      admin_levels: [...new Set(d.admin_levels)].sort(),
      online_eligible: bit(d.online_eligible),
      online_class: onlineClass,
      full_process_eligible: bit(d.full_process_eligible),
      fee_bearing: bit(d.fee_bearing),
      online_payment: bit(d.online_payment),
      dvcqg_integrated: bit(d.dvcqg_integrated),
      max_processing_working_days: toWorkingDays(d.max_processing_time),
      paper_result_required: bit(d.paper_result_required ?? false),
      serves: d.serves ? [...new Set(d.serves)].sort() : [...SUBJECTS],
      applied_units: units.map((u) => u.agency_code),
      unit_service_status: units.map((u) => u.online_service ?? defaultServiceStatus(onlineClass)),
      valid_from: d.valid_from,
      valid_to: d.valid_to ?? null,
      version: eventTime(parsed.data.time, ctx),
    };
    return { table: 'procedures_v1', rows: [row] };
  }
  if (type === 'vn.catalog.agency') {
    const parsed = AgencyUpsert.safeParse(value);
    if (!parsed.success) throw rejectionFromZod(parsed.error, 'agency upsert');
    const d = parsed.data.data;
    const row: AgencyRow = {
      agency_code: d.code,
      name: d.name,
      admin_level: d.admin_level,
      parent_code: d.parent_code ?? null,
      valid_from: d.valid_from,
      valid_to: d.valid_to ?? null,
      version: eventTime(parsed.data.time, ctx),
    };
    return { table: 'agencies_v1', rows: [row] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('schema', '(message): expected a JSON object (a catalog upsert event)');
  }
  if (typeof type !== 'string')
    return reject('schema', 'type: expected vn.catalog.procedure or vn.catalog.agency');
  return reject(
    'unknown_kind',
    `type: ${JSON.stringify(type.slice(0, 80))} is not a catalog message type; expected vn.catalog.procedure or vn.catalog.agency`,
  );
}
