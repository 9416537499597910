import type { Channel, DossierEventRow, FinishKind, UtcTimestamp } from './rows.ts';

/**
 * Pure reference of the ClickHouse dossier state (migrations 0002–0004, read through dossiers_v1).
 * Every column is order-independent and duplicate-insensitive, as in ClickHouse.
 */
export interface DossierState {
  dossier_code: string;
  agency_code: string;
  procedure_code: string | null;
  field_code: string | null;
  channel: Channel | null;
  submitted_at: UtcTimestamp | null;
  received_at: UtcTimestamp | null;
  due_at: UtcTimestamp | null;
  /** The appointment in force before the last re-issue, and that re-issue's instant (dossiers_v1, 0231). */
  due_before_at: UtcTimestamp | null;
  due_moved_at: UtcTimestamp | null;
  finished_at: UtcTimestamp | null;
  finish_kind: FinishKind | null;
  fee_vnd: number | null;
  paid_online: 0 | 1 | null;
  payment_channel: DossierEventRow['payment_channel'];
  supplement_requested_at: UtcTimestamp[];
  supplement_received_at: UtcTimestamp[];
  components_digitized: 0 | 1 | null;
  result_digitized: 0 | 1 | null;
  docs_total: number | null;
  docs_with_file: number | null;
  docs_digitized: number | null;
  docs_reused: number | null;
  docs_from_national_store: number | null;
  has_digitized_component: 0 | 1 | null;
  result_code_and_file: 0 | 1 | null;
  result_to_applicant_store: 0 | 1 | null;
  vneid_verified: 0 | 1 | null;
  population_db_used: 0 | 1 | null;
  synced_national_at: UtcTimestamp | null;
  rating_satisfied: 0 | 1 | null;
  rating_score: number | null;
  applicant_kind: DossierEventRow['applicant_kind'];
  applicant_hash: string | null;
  last_version: number;
}

/** ClickHouse compares the tuple (version, event_id): numbers first, then strings byte by byte. */
function compareKey(a: DossierEventRow, b: DossierEventRow): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return Buffer.compare(Buffer.from(a.event_id, 'utf8'), Buffer.from(b.event_id, 'utf8'));
}

/** argMax(column, (version, event_id)); like ClickHouse, rows whose value is NULL are skipped. */
function argMax<K extends keyof DossierEventRow>(
  rows: DossierEventRow[],
  column: K,
): DossierEventRow[K] | null {
  let best: DossierEventRow | undefined;
  for (const row of rows) {
    if (row[column] === null) continue;
    if (best === undefined || compareKey(row, best) > 0) best = row;
  }
  return best === undefined ? null : best[column];
}

/** min/max ignoring NULLs; UTC strings of one fixed width order like the instants they name. */
function extreme<T extends string | number>(values: (T | null)[], pick: 'min' | 'max'): T | null {
  let out: T | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (out === null || (pick === 'min' ? v < out : v > out)) out = v;
  }
  return out;
}

function maxOf(
  rows: DossierEventRow[],
  column:
    | 'has_digitized_component'
    | 'result_code_and_file'
    | 'result_to_applicant_store'
    | 'vneid_verified'
    | 'population_db_used',
): 0 | 1 | null {
  return extreme(
    rows.map((r) => r[column]),
    'max',
  );
}

function finishKind(rows: DossierEventRow[]): FinishKind | null {
  let best: DossierEventRow | undefined;
  for (const row of rows) {
    if (row.finished_at === null || row.finish_kind === null) continue;
    const earlier =
      best === undefined ||
      row.finished_at < (best.finished_at ?? '') ||
      (row.finished_at === best.finished_at &&
        Buffer.compare(Buffer.from(row.event_id, 'utf8'), Buffer.from(best.event_id, 'utf8')) < 0);
    if (earlier) best = row;
  }
  return best?.finish_kind ?? null;
}

function sortedUnique(arrays: UtcTimestamp[][]): UtcTimestamp[] {
  return [...new Set(arrays.flat())].sort();
}

const EPOCH = '1970-01-01 00:00:00.000';

/**
 * The appointment in force before the last re-issue and when it was re-issued, as dossiers_v1 derives
 * them: every appointment with the earliest instant it is known in force (an appointment replaced, DVCQG
 * NgayHenTraTruoc, from the epoch), in time order; after the last one that is not `due` comes the one
 * in force, whose instant is the re-issue.
 */
function dueChange(
  rows: DossierEventRow[],
  due: UtcTimestamp | null,
): Pick<DossierState, 'due_before_at' | 'due_moved_at'> {
  const since = new Map<UtcTimestamp, UtcTimestamp>();
  const seen = (appointment: UtcTimestamp | null, from: UtcTimestamp) => {
    if (appointment === null) return;
    const known = since.get(appointment);
    if (known === undefined || from < known) since.set(appointment, from);
  };
  for (const r of rows) {
    seen(r.due_before_at, EPOCH);
    seen(r.due_at, r.due_since_at ?? r.occurred_at);
  }
  const history = [...since].map(([appointment, from]) => [from, appointment] as const);
  history.sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let last = -1;
  history.forEach(([, appointment], i) => {
    if (appointment !== due) last = i;
  });
  const next = history[last + 1];
  if (last < 0 || next === undefined) return { due_before_at: null, due_moved_at: null };
  return { due_before_at: history[last]?.[1] ?? null, due_moved_at: next[0] };
}

function foldOne(dossierCode: string, rows: DossierEventRow[]): DossierState {
  return {
    dossier_code: dossierCode,
    agency_code: argMax(rows, 'agency_code') ?? '',
    procedure_code: argMax(rows, 'procedure_code'),
    field_code: argMax(rows, 'field_code'),
    channel: argMax(rows, 'channel'),
    submitted_at: extreme(
      rows.map((r) => r.submitted_at),
      'min',
    ),
    received_at: extreme(
      rows.map((r) => r.received_at),
      'min',
    ),
    due_at: argMax(rows, 'due_at'),
    ...dueChange(rows, argMax(rows, 'due_at')),
    finished_at: extreme(
      rows.map((r) => r.finished_at),
      'min',
    ),
    finish_kind: finishKind(rows),
    fee_vnd: argMax(rows, 'fee_vnd'),
    paid_online: extreme(
      rows.map((r) => r.paid_online),
      'max',
    ),
    payment_channel: argMax(rows, 'payment_channel'),
    supplement_requested_at: sortedUnique(rows.map((r) => r.supplement_requested_at)),
    supplement_received_at: sortedUnique(rows.map((r) => r.supplement_received_at)),
    components_digitized: extreme(
      rows.map((r) => r.components_digitized),
      'max',
    ),
    result_digitized: extreme(
      rows.map((r) => r.result_digitized),
      'max',
    ),
    // The latest list of submitted documents describes them all (a snapshot, or the event that lists them).
    docs_total: argMax(rows, 'docs_total'),
    docs_with_file: argMax(rows, 'docs_with_file'),
    docs_digitized: argMax(rows, 'docs_digitized'),
    docs_reused: argMax(rows, 'docs_reused'),
    docs_from_national_store: argMax(rows, 'docs_from_national_store'),
    has_digitized_component: maxOf(rows, 'has_digitized_component'),
    result_code_and_file: maxOf(rows, 'result_code_and_file'),
    result_to_applicant_store: maxOf(rows, 'result_to_applicant_store'),
    vneid_verified: maxOf(rows, 'vneid_verified'),
    population_db_used: maxOf(rows, 'population_db_used'),
    synced_national_at: extreme(
      rows.map((r) => r.synced_national_at),
      'min',
    ),
    rating_satisfied: argMax(rows, 'rating_satisfied'),
    rating_score: argMax(rows, 'rating_score'),
    applicant_kind: argMax(rows, 'applicant_kind'),
    applicant_hash: argMax(rows, 'applicant_hash'),
    last_version:
      extreme(
        rows.map((r) => r.version),
        'max',
      ) ?? 0,
  };
}

/** Folds rows of any number of dossiers, in any order and with any duplicates, into their states. */
export function foldDossierState(rows: DossierEventRow[]): Map<string, DossierState> {
  const byDossier = new Map<string, DossierEventRow[]>();
  for (const row of rows) {
    const list = byDossier.get(row.dossier_code);
    if (list) list.push(row);
    else byDossier.set(row.dossier_code, [row]);
  }
  const states = new Map<string, DossierState>();
  for (const code of [...byDossier.keys()].sort()) states.set(code, foldOne(code, byDossier.get(code) ?? []));
  return states;
}
