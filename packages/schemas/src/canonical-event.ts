import { z } from 'zod';
import { CANONICAL_DATA, type CanonicalData } from './canonical-data.ts';
import { DossierCode, Timestamp } from './common.ts';
import {
  agencyFromDossierCode,
  assertDueAfterReceipt,
  assertNotFuture,
  baseRow,
  flag,
  hashApplicantId,
  type NormalizeContext,
  optionalUtc,
} from './dossier-row.ts';
import { reject, rejectionFromZod } from './rejection.ts';
import { DOSSIER_KINDS, type DossierEventRow, type DossierKind } from './rows.ts';
import { formatUtc, parseRfc3339 } from './time.ts';

/** CloudEvents 1.0 structured-mode envelope; extension attributes are allowed and ignored. */
export const CanonicalEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(256).meta({ description: 'unique per event; the idempotency key' }),
  source: z.string().min(1).max(256).meta({ description: 'sending system, e.g. /agency/H29.105/mot-cua' }),
  type: z.string().regex(/^vn\.dossier\.[a-z_]+$/, { error: 'expected vn.dossier.<kind>' }),
  time: Timestamp.meta({ description: 'when it happened (RFC 3339 with offset)' }),
  subject: DossierCode,
  datacontenttype: z
    .string()
    .regex(/^application\/json(\s*;.*)?$/i, { error: 'expected application/json' })
    .optional(),
  dataschema: z.string().max(512).optional(),
  data: z.unknown(),
});

function eventSchema<K extends DossierKind>(kind: K) {
  return CanonicalEnvelope.extend({ type: z.literal(`vn.dossier.${kind}`), data: CANONICAL_DATA[kind] });
}

export const CANONICAL_EVENTS = Object.fromEntries(DOSSIER_KINDS.map((k) => [k, eventSchema(k)])) as {
  [K in DossierKind]: ReturnType<typeof eventSchema<K>>;
};

/** DVCQG TrangThaiHoSo equivalent of the state an event puts the dossier in; null when it changes none. */
export const STATUS_OF_KIND: Record<DossierKind, number | null> = {
  submitted: 1,
  received: 2,
  rejected: 3,
  processing: 4,
  supplement_requested: 5,
  supplement_received: 4,
  payment_requested: 6,
  paid: null,
  withdrawn: 7,
  stopped: 8,
  resolved: 9,
  result_returned: 10,
  digitized: null,
  synced_to_national_portal: null,
  rated: null,
};

const FINISHING = new Set<DossierKind>(['rejected', 'withdrawn', 'stopped', 'resolved', 'result_returned']);

function isKind(value: string): value is DossierKind {
  return (DOSSIER_KINDS as readonly string[]).includes(value);
}

function kindOf(value: unknown): DossierKind {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('schema', '(message): expected a JSON object (a CloudEvents 1.0 event in structured mode)');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') reject('schema', 'type: expected a string vn.dossier.<kind>');
  const kind = type.startsWith('vn.dossier.') ? type.slice('vn.dossier.'.length) : '';
  if (!isKind(kind)) {
    reject(
      'unknown_kind',
      `type: ${JSON.stringify(type.slice(0, 80))} is not a dossier event type; expected vn.dossier.<kind> with kind one of ${DOSSIER_KINDS.join(', ')}`,
    );
  }
  return kind;
}

function totalFees(fees: readonly { amount_vnd: number }[] | undefined): number | null {
  if (fees === undefined) return null;
  const total = fees.reduce((sum, f) => sum + f.amount_vnd, 0);
  if (!Number.isSafeInteger(total)) reject('schema', 'data.fees: expected a total below 2^53 VND');
  return total;
}

/** A data timestamp (already validated), defaulting to the event time; facts may not lie in the future. */
function past(field: string, text: string | undefined, eventMs: number, ctx: NormalizeContext): string {
  const ms = text === undefined ? eventMs : (parseRfc3339(text) ?? eventMs);
  assertNotFuture(field, ms, ctx);
  return formatUtc(ms);
}

function due(text: string | undefined): number | null {
  return text === undefined ? null : parseRfc3339(text);
}

type FirstSight = CanonicalData['submitted'] | CanonicalData['received'];
type Documents = CanonicalData['received']['documents'];
type Results = CanonicalData['resolved']['results'];

/** Submitted documents counted per flag, as the DVCQG adapter counts TaiLieuNop. */
function applyDocuments(row: DossierEventRow, docs: Documents): void {
  if (docs === undefined) return;
  const count = (test: (d: NonNullable<Documents>[number]) => boolean | undefined) =>
    docs.filter((d) => test(d) === true).length;
  row.docs_total = docs.length;
  row.docs_with_file = count((d) => d.attached);
  row.docs_digitized = count((d) => d.digitized);
  row.docs_reused = count((d) => d.reused);
  row.docs_from_national_store = count((d) => d.from_national_store);
}

function applyResults(row: DossierEventRow, digitized: boolean | undefined, list: Results): void {
  const withFile = list?.some((r) => (r.file_url ?? '') !== '');
  row.result_digitized = flag(digitized ?? withFile);
  if (list === undefined) return;
  row.result_code_and_file = list.some((r) => (r.code ?? '') !== '' && (r.file_url ?? '') !== '') ? 1 : 0;
  row.result_to_applicant_store = list.some((r) => r.to_applicant_store === true) ? 1 : 0;
}

function applyFirstSight(row: DossierEventRow, d: FirstSight, ctx: NormalizeContext): void {
  row.channel = d.channel ?? null;
  row.due_at = optionalUtc(due(d.due_at));
  row.components_digitized = flag(d.components_digitized);
  applyDocuments(row, d.documents);
  row.has_digitized_component = flag(d.has_digitized_component);
  row.vneid_verified = flag(d.vneid_verified);
  row.population_db_used = flag(d.population_db_used);
  row.applicant_kind = d.applicant?.kind ?? null;
  row.applicant_hash = hashApplicantId(d.applicant?.id_number, ctx.applicantHashKey);
}

function applyKind(row: DossierEventRow, kind: DossierKind, data: unknown, t: number, ctx: NormalizeContext) {
  switch (kind) {
    case 'submitted': {
      const d = data as CanonicalData['submitted'];
      applyFirstSight(row, d, ctx);
      row.submitted_at = past('data.submitted_at', d.submitted_at, t, ctx);
      break;
    }
    case 'received': {
      const d = data as CanonicalData['received'];
      applyFirstSight(row, d, ctx);
      if (d.submitted_at !== undefined) row.submitted_at = past('data.submitted_at', d.submitted_at, t, ctx);
      row.received_at = past('data.received_at', d.received_at, t, ctx);
      assertDueAfterReceipt(
        'data.due_at',
        due(d.due_at),
        'data.received_at',
        parseRfc3339(d.received_at ?? '') ?? t,
      );
      break;
    }
    case 'processing':
      row.due_at = optionalUtc(due((data as CanonicalData['processing']).due_at));
      break;
    case 'supplement_requested': {
      const d = data as CanonicalData['supplement_requested'];
      row.supplement_requested_at = [past('data.requested_at', d.requested_at, t, ctx)];
      row.due_at = optionalUtc(due(d.due_at));
      // A moved appointment is in force from the request (receipt) on; the one before stays for earlier instants.
      if (row.due_at !== null) row.due_since_at = row.supplement_requested_at[0] ?? null;
      break;
    }
    case 'supplement_received': {
      const d = data as CanonicalData['supplement_received'];
      row.supplement_received_at = [past('data.received_at', d.received_at, t, ctx)];
      row.due_at = optionalUtc(due(d.due_at));
      if (row.due_at !== null) row.due_since_at = row.supplement_received_at[0] ?? null;
      break;
    }
    case 'payment_requested':
      row.fee_vnd = totalFees((data as CanonicalData['payment_requested']).fees);
      break;
    case 'paid': {
      const d = data as CanonicalData['paid'];
      row.fee_vnd = totalFees(d.fees);
      row.paid_online = d.paid_online ? 1 : 0;
      row.payment_channel = d.payment_channel ?? 'offline';
      break;
    }
    case 'resolved':
    case 'result_returned': {
      const d = data as CanonicalData['resolved'];
      applyResults(row, d.result_digitized, d.results);
      break;
    }
    case 'digitized': {
      const d = data as CanonicalData['digitized'];
      row.components_digitized = flag(d.components_digitized);
      applyDocuments(row, d.documents);
      row.has_digitized_component = flag(d.has_digitized_component);
      applyResults(row, d.result_digitized, d.results);
      break;
    }
    case 'synced_to_national_portal':
      row.synced_national_at = past(
        'data.synced_at',
        (data as CanonicalData['synced_to_national_portal']).synced_at,
        t,
        ctx,
      );
      break;
    case 'rated': {
      const d = data as CanonicalData['rated'];
      row.rating_satisfied = d.satisfied ? 1 : 0;
      row.rating_score = d.score ?? null;
      break;
    }
    case 'rejected':
    case 'withdrawn':
    case 'stopped':
      break;
  }
  if (FINISHING.has(kind)) {
    row.finished_at = row.occurred_at;
    row.finish_kind = kind as DossierEventRow['finish_kind'];
  }
}

/** One canonical event (already JSON-parsed) → one row. Throws RejectedInput on bad input. */
export function normalizeCanonicalEvent(value: unknown, ctx: NormalizeContext): DossierEventRow {
  const kind = kindOf(value);
  const parsed = CANONICAL_EVENTS[kind].safeParse(value);
  if (!parsed.success) throw rejectionFromZod(parsed.error, `vn.dossier.${kind} event`);
  const event = parsed.data;
  const t = parseRfc3339(event.time);
  if (t === null) return reject('bad_date', 'time: expected an existing RFC 3339 timestamp with offset');
  assertNotFuture('time', t, ctx);
  const data = event.data as { agency_code?: string; procedure_code?: string; field_code?: string };
  const row = baseRow(
    {
      event_id: event.id,
      dialect: 'canonical',
      source: event.source,
      kind,
      dossier_code: event.subject,
      agency_code: data.agency_code ?? agencyFromDossierCode(event.subject),
      occurredMs: t,
      status: STATUS_OF_KIND[kind],
    },
    ctx.origin,
  );
  row.procedure_code = data.procedure_code ?? null;
  row.field_code = data.field_code ?? null;
  applyKind(row, kind, event.data, t, ctx);
  return row;
}
