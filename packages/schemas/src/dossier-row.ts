import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { reject } from './rejection.ts';
import type { DossierEventRow, DossierKind, MessageOrigin } from './rows.ts';
import { formatUtc } from './time.ts';

/** What every dialect's normalizer needs besides the parsed value. */
export interface NormalizeContext {
  origin: MessageOrigin;
  nowMs: number;
  futureToleranceMs: number;
  applicantHashKey: string;
}

export interface RowIdentity {
  event_id: string;
  dialect: DossierEventRow['dialect'];
  source: string;
  kind: DossierKind;
  dossier_code: string;
  agency_code: string;
  occurredMs: number;
  status: number | null;
}

/** A row with only its identity set; normalizers fill in the facts their input carries. */
export function baseRow(id: RowIdentity, origin: MessageOrigin): DossierEventRow {
  return {
    event_id: id.event_id,
    dialect: id.dialect,
    source: id.source,
    kind: id.kind,
    dossier_code: id.dossier_code,
    agency_code: id.agency_code,
    procedure_code: null,
    field_code: null,
    occurred_at: formatUtc(id.occurredMs),
    version: id.occurredMs,
    status: id.status,
    channel: null,
    submitted_at: null,
    received_at: null,
    due_at: null,
    due_since_at: null,
    due_before_at: null,
    finished_at: null,
    finish_kind: null,
    fee_vnd: null,
    paid_online: null,
    payment_channel: null,
    supplement_requested_at: [],
    supplement_received_at: [],
    components_digitized: null,
    result_digitized: null,
    docs_total: null,
    docs_with_file: null,
    docs_digitized: null,
    docs_reused: null,
    docs_from_national_store: null,
    has_digitized_component: null,
    result_code_and_file: null,
    result_to_applicant_store: null,
    vneid_verified: null,
    population_db_used: null,
    synced_national_at: null,
    rating_satisfied: null,
    rating_score: null,
    applicant_kind: null,
    applicant_hash: null,
    source_topic: origin.topic,
    source_partition: origin.partition,
    source_offset: origin.offset,
  };
}

/** MaHoSo is `<agency code>-<yyMMdd>-<sequence>`: the agency is everything before the first `-`. */
export function agencyFromDossierCode(dossierCode: string): string {
  const dash = dossierCode.indexOf('-');
  return dash > 0 ? dossierCode.slice(0, dash) : dossierCode;
}

/**
 * Keyed hash of an identity number, normalized (spaces removed, upper-case) so the same person gets
 * the same hash from either dialect. HMAC, not a plain hash: ID numbers are short and guessable.
 */
export function hashApplicantId(idNumber: string | undefined, key: string): string | null {
  const normalized = idNumber?.replace(/\s+/g, '').toUpperCase() ?? '';
  if (normalized === '') return null;
  const hasher = hasherFor(key);
  let hash = hasher.recent.get(normalized);
  if (hash === undefined) {
    hash = createHmac('sha256', hasher.key).update(normalized, 'utf8').digest('hex');
    // Snapshots of one dossier repeat its applicant; a bounded memo saves most HMACs.
    if (hasher.recent.size >= RECENT_HASHES) hasher.recent.clear();
    hasher.recent.set(normalized, hash);
  }
  return hash;
}

const RECENT_HASHES = 10_000;
let hasher: { text: string; key: KeyObject; recent: Map<string, string> } | undefined;

function hasherFor(text: string) {
  if (hasher?.text !== text) {
    hasher = { text, key: createSecretKey(Buffer.from(text, 'utf8')), recent: new Map() };
  }
  return hasher;
}

/** Facts that already happened may not lie beyond now + tolerance (clock skew), due dates may. */
export function assertNotFuture(field: string, ms: number | null, ctx: NormalizeContext): void {
  if (ms === null) return;
  const limit = ctx.nowMs + ctx.futureToleranceMs;
  if (ms > limit) {
    reject(
      'future_time',
      `${field}: ${formatUtc(ms)} UTC is in the future; expected at most ${ctx.futureToleranceMs} ms after the ingestor's clock (${formatUtc(ctx.nowMs)} UTC)`,
    );
  }
}

export function assertDueAfterReceipt(
  dueField: string,
  dueMs: number | null,
  receivedField: string,
  receivedMs: number | null,
): void {
  if (dueMs === null || receivedMs === null || dueMs >= receivedMs) return;
  reject(
    'due_before_receipt',
    `${dueField}: ${formatUtc(dueMs)} UTC is before ${receivedField} ${formatUtc(receivedMs)} UTC; expected a due date on or after receipt`,
  );
}

export function flag(value: boolean | undefined): 0 | 1 | null {
  return value === undefined ? null : value ? 1 : 0;
}

export function optionalUtc(ms: number | null): string | null {
  return ms === null ? null : formatUtc(ms);
}
