/**
 * The normalized row shapes that the ingestor writes to ClickHouse. They mirror the migrations in
 * packages/clickhouse/migrations (0001 dossier_events_v1, 0005 procedures_v1, 0006 agencies_v1) column
 * for column: change both together. The dead-letter row (0040 dead_letters_v2) is in packages/dead-letters.
 *
 * Timestamps are UTC strings `YYYY-MM-DD HH:MM:SS.mmm` (ClickHouse DateTime64(3, 'UTC') text form).
 * Dates are `YYYY-MM-DD`. Codes are trimmed and upper-cased.
 */

export const DOSSIER_KINDS = [
  'submitted',
  'received',
  'rejected',
  'processing',
  'supplement_requested',
  'supplement_received',
  'payment_requested',
  'paid',
  'withdrawn',
  'stopped',
  'resolved',
  'result_returned',
  'digitized',
  'synced_to_national_portal',
  'rated',
] as const;
export type DossierKind = (typeof DOSSIER_KINDS)[number];

export const CHANNELS = ['direct', 'online', 'postal'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How a dossier finished; the first of these events is its finish (national rule). */
export const FINISH_KINDS = ['resolved', 'result_returned', 'rejected', 'withdrawn', 'stopped'] as const;
export type FinishKind = (typeof FINISH_KINDS)[number];

export type UtcTimestamp = string;
export type IsoDate = string;

export interface DossierEventRow {
  /** Idempotency key: the canonical `id`, or for DVCQG `dvcqg:<MaHoSo>:<version>:<status>`. */
  event_id: string;
  dialect: 'canonical' | 'dvcqg';
  source: string;
  kind: DossierKind;
  dossier_code: string;
  agency_code: string;
  procedure_code: string | null;
  field_code: string | null;
  occurred_at: UtcTimestamp;
  /** Milliseconds since epoch; the higher version wins for "latest value" attributes. */
  version: number;
  /** DVCQG TrangThaiHoSo (1–10) equivalent of this state, when known. */
  status: number | null;
  channel: Channel | null;
  submitted_at: UtcTimestamp | null;
  received_at: UtcTimestamp | null;
  due_at: UtcTimestamp | null;
  /**
   * When due_at came into force, when the input says (a supplement's receipt for an appointment re-issued
   * then); otherwise the row's own instant (occurred_at) is taken.
   */
  due_since_at: UtcTimestamp | null;
  /** The appointment in force before due_at was re-issued (DVCQG NgayHenTraTruoc), when the input says. */
  due_before_at: UtcTimestamp | null;
  /** Set only when this event finishes the dossier (first of resolved/result_returned/rejected/withdrawn/stopped). */
  finished_at: UtcTimestamp | null;
  finish_kind: FinishKind | null;
  /** Total fees and charges in VND (sum of DanhSachLePhi / canonical fee amounts). */
  fee_vnd: number | null;
  /** 1 when the fee was paid online (DuocThanhToanTrucTuyen 1 or 2, canonical paid online). */
  paid_online: 0 | 1 | null;
  payment_channel: 'dvcqg' | 'local_gateway' | 'offline' | null;
  /** Supplement requests and receipts known to this event; state pairs the i-th receipt with the i-th request. */
  supplement_requested_at: UtcTimestamp[];
  supplement_received_at: UtcTimestamp[];
  components_digitized: 0 | 1 | null;
  result_digitized: 0 | 1 | null;
  /**
   * Submitted documents (TaiLieuNop) of the snapshot or event that lists them, counted per flag so both
   * "at least one" (> 0) and "every" (= docs_total) can be read: with a file attached, flagged digitized
   * (DuocSoHoa), reused (DuocTaiSuDung), taken from the national document store (DuocLayTuKhoDMQG).
   */
  docs_total: number | null;
  docs_with_file: number | null;
  docs_digitized: number | null;
  docs_reused: number | null;
  docs_from_national_store: number | null;
  /** HoSoCoThanhPhanSoHoa as sent: the dossier has digitized components. */
  has_digitized_component: 0 | 1 | null;
  /** 1 when a result document carries both a result code (MaKetQua) and a file link. */
  result_code_and_file: 0 | 1 | null;
  /** 1 when an electronic result was pushed to the applicant's data store. */
  result_to_applicant_store: 0 | 1 | null;
  /** Filed from an account verified with VNeID (TaiKhoanDuocXacThucVoiVNeID). */
  vneid_verified: 0 | 1 | null;
  /** Data taken from the national population database (MaCSDL given). */
  population_db_used: 0 | 1 | null;
  /** When the national portal acknowledged the dossier's synchronisation (canonical sync event, DVCQG NgayDongBoDVCQG). */
  synced_national_at: UtcTimestamp | null;
  rating_satisfied: 0 | 1 | null;
  /** 1 (very dissatisfied) … 5 (very satisfied), when the rating carries a score. */
  rating_score: number | null;
  applicant_kind: 'citizen' | 'organization' | null;
  /** Keyed hash (HMAC-SHA256, hex) of the applicant's identity number; never the number itself. */
  applicant_hash: string | null;
  source_topic: string;
  source_partition: number;
  source_offset: string;
}

export type AdminLevel = 'province' | 'district' | 'commune';
export type OnlineClass = 'none' | 'partial' | 'full';

/** Whom a procedure serves (Decision 766 4.5a counts the citizen-facing ones). */
export const SUBJECTS = ['citizen', 'organization'] as const;
export type Subject = (typeof SUBJECTS)[number];

/**
 * Status of a procedure's online service at one unit (the national catalog's per-unit list). Published,
 * trial and pending withdrawal count as the unit's online services (Decision 766 3.2).
 */
export const ONLINE_SERVICE_STATUSES = [
  'published',
  'trial',
  'pending_withdrawal',
  'withdrawn',
  'none',
] as const;
export type OnlineServiceStatus = (typeof ONLINE_SERVICE_STATUSES)[number];

export interface ProcedureRow {
  procedure_code: string;
  name: string;
  field_code: string;
  agency_code: string | null;
  admin_levels: AdminLevel[];
  online_eligible: 0 | 1;
  online_class: OnlineClass;
  full_process_eligible: 0 | 1;
  fee_bearing: 0 | 1;
  online_payment: 0 | 1;
  dvcqg_integrated: 0 | 1;
  max_processing_working_days: number | null;
  /** The procedure must return a paper result (an online dossier then also needs an electronic result). */
  paper_result_required: 0 | 1;
  /** Whom it serves. */
  serves: Subject[];
  /**
   * Units the procedure is applied at, as listed by the catalog, with the status of its online service
   * there (parallel arrays). Empty: applied at its agency, or at every unit of its commune/district levels.
   */
  applied_units: string[];
  unit_service_status: OnlineServiceStatus[];
  valid_from: IsoDate;
  valid_to: IsoDate | null;
  version: number;
}

export interface AgencyRow {
  agency_code: string;
  name: string;
  admin_level: AdminLevel;
  parent_code: string | null;
  valid_from: IsoDate;
  valid_to: IsoDate | null;
  version: number;
}

/** Where a Kafka message came from; rows and dead letters carry it. */
export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka message timestamp, ms since epoch as a string (kafkajs form). */
  timestamp: string;
}

export interface RawMessage extends MessageOrigin {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** KPI ids of the index's components that come from published figures (components.ts, `source: 'external'`). */
export const INDEX766_EXTERNAL_COMPONENTS = [
  'index766.transparency.published_on_time',
  'index766.transparency.publicised_on_time',
  'index766.transparency.full_content',
  'index766.satisfaction.petitions_on_time',
  'index766.satisfaction.petition_satisfaction',
  'index766.digitization.e_certified_copies',
] as const;
/** The national reporting system's received count for 1.4 (numerator; denominator 0). */
export const NATIONAL_REPORTING_RECEIVED = 'national_reporting.received';
/** A dossier that was the subject of a petition (numerator 1; 0 withdraws an earlier row), for 5.4. */
export const PETITIONED_DOSSIER = 'petitions.dossier';
export const INDEX766_EXTERNAL_FIGURES = [
  ...INDEX766_EXTERNAL_COMPONENTS,
  NATIONAL_REPORTING_RECEIVED,
  PETITIONED_DOSSIER,
] as const;
export type Index766ExternalFigure = (typeof INDEX766_EXTERNAL_FIGURES)[number];

/** A stored external figure, column for column as index766_external_v1 (0140). */
export interface Index766ExternalRow {
  scope_kind: 'city' | 'agency';
  /** '' for the city. */
  scope_code: string;
  period_kind: 'month' | 'quarter' | 'year';
  period_start: IsoDate;
  figure: Index766ExternalFigure;
  /** '' unless figure is petitions.dossier. */
  dossier_code: string;
  numerator: number;
  denominator: number;
  source: string;
  loaded_at: UtcTimestamp;
  load_id: string;
  csv_line: number;
  /** sha256 of load id and CSV line: a redelivered message replaces its own row. */
  event_id: string;
}

export type NormalizedRows =
  | { table: 'dossier_events_v1'; rows: DossierEventRow[] }
  | { table: 'procedures_v1'; rows: ProcedureRow[] }
  | { table: 'agencies_v1'; rows: AgencyRow[] }
  | { table: 'index766_external_v1'; rows: Index766ExternalRow[] };

export interface Rejection {
  /** Stable machine code, e.g. `invalid_json`, `too_large`, `schema`, `unknown_kind`, `bad_date`. */
  code: string;
  /** Human-readable: which field, what was wrong, what was expected. Contains no personal data. */
  reason: string;
}

export type NormalizeResult = { ok: true; output: NormalizedRows } | { ok: false; rejection: Rejection };
