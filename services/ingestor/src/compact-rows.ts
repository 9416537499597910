import type { ClickHouse } from '@dossier/clickhouse';
import type { DossierEventRow } from '@dossier/schemas';

type InsertParams = Parameters<ClickHouse['insert']>[0];

/**
 * dossier_events_v1's columns in the order its rows are sent: every field of DossierEventRow
 * (ingested_at is the table's default). The type below fails to compile if a field is missing.
 */
export const DOSSIER_EVENT_COLUMNS = [
  'event_id',
  'dialect',
  'source',
  'kind',
  'dossier_code',
  'agency_code',
  'procedure_code',
  'field_code',
  'occurred_at',
  'version',
  'status',
  'channel',
  'submitted_at',
  'received_at',
  'due_at',
  'due_since_at',
  'due_before_at',
  'finished_at',
  'finish_kind',
  'fee_vnd',
  'paid_online',
  'payment_channel',
  'supplement_requested_at',
  'supplement_received_at',
  'components_digitized',
  'result_digitized',
  'docs_total',
  'docs_with_file',
  'docs_digitized',
  'docs_reused',
  'docs_from_national_store',
  'has_digitized_component',
  'result_code_and_file',
  'result_to_applicant_store',
  'vneid_verified',
  'population_db_used',
  'synced_national_at',
  'rating_satisfied',
  'rating_score',
  'applicant_kind',
  'applicant_hash',
  'source_topic',
  'source_partition',
  'source_offset',
] as const satisfies readonly (keyof DossierEventRow)[];

type Unlisted = Exclude<keyof DossierEventRow, (typeof DOSSIER_EVENT_COLUMNS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

/** What one insert of a table's rows sends: the format, the column list when positional, the values. */
export type InsertBody = Pick<InsertParams, 'format' | 'columns' | 'values'>;

/**
 * The hot table's rows go as JSONCompactEachRow: each row an array in DOSSIER_EVENT_COLUMNS' order, so
 * the engine parses values without matching 44 key names a row (#15: a 500-row insert into a copy of the
 * table without its views −25–30% CPU, about 10 ms of ~55 with them). Every value is still JSON, parsed
 * by the same per-type JSON readers as JSONEachRow, so the stored rows are the same (the
 * compact-rows.int test proves it on hostile values). Other tables are rare and stay JSONEachRow.
 */
export function insertBody(table: string, rows: readonly object[]): InsertBody {
  if (table !== 'dossier_events_v1') return { format: 'JSONEachRow', values: rows as object[] };
  return {
    format: 'JSONCompactEachRow',
    columns: [...DOSSIER_EVENT_COLUMNS] as [string, ...string[]],
    values: (rows as readonly DossierEventRow[]).map((row) => DOSSIER_EVENT_COLUMNS.map((c) => row[c])),
  };
}

/** An insert's rows as objects keyed by column, whichever body it sends (for benches and tests that follow rows). */
export function insertedRows(params: Pick<InsertParams, 'columns' | 'values'>): Record<string, unknown>[] {
  const { values, columns } = params;
  if (!Array.isArray(values)) return [];
  return (values as unknown[]).map((row) =>
    Array.isArray(row) && Array.isArray(columns)
      ? Object.fromEntries(columns.map((column, i) => [column, row[i]]))
      : (row as Record<string, unknown>),
  );
}
