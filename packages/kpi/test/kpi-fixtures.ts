import type { ClickHouse } from '@dossier/clickhouse';
import { type AgencyRow, baseRow, type DossierEventRow, type ProcedureRow, parseUtc } from '@dossier/schemas';

let sequence = 0;

/** One dossier event with every column the row contract has; ts values are UTC `YYYY-MM-DD HH:MM`. */
export function dossierEvent(
  dossierCode: string,
  kind: DossierEventRow['kind'],
  at: string,
  fields: Partial<DossierEventRow> = {},
): DossierEventRow {
  sequence += 1;
  const occurredMs = parseUtc(ts(at));
  const row = baseRow(
    {
      event_id: `${dossierCode}:${kind}:${sequence}`,
      dialect: 'canonical',
      source: 'fixture',
      kind,
      dossier_code: dossierCode,
      agency_code: 'SO-TNMT',
      occurredMs,
      status: null,
    },
    { topic: 'dossier.events.v1', partition: 0, offset: String(sequence), timestamp: String(occurredMs) },
  );
  return { ...row, procedure_code: 'P-LAND', version: occurredMs + sequence, ...fields };
}

export function ts(at: string): string {
  return at.length === 16 ? `${at}:00.000` : at;
}

export interface DossierSpec {
  code: string;
  agency?: string;
  procedure?: string;
  channel?: 'online' | 'direct';
  received?: string;
  submitted?: string;
  due?: string;
  finished?: { at: string; kind: NonNullable<DossierEventRow['finish_kind']> };
  fee?: number;
  paidOnline?: 0 | 1;
  supplements?: { requested: string[]; received: string[] };
  /** The appointment re-issued when a supplement is received (it holds the wait), as agency systems send it. */
  dueAfterSupplement?: string;
  digitized?: boolean;
  satisfied?: 0 | 1;
  /** More columns of the first event (received or submitted), e.g. the Decision 766 facts. */
  extra?: Partial<DossierEventRow>;
}

/** The events an agency system would send for a dossier's life: receipt, supplements, finish, rating. */
export function dossierEvents(spec: DossierSpec): DossierEventRow[] {
  const common = { agency_code: spec.agency ?? 'SO-TNMT', procedure_code: spec.procedure ?? 'P-LAND' };
  const start = spec.received ?? spec.submitted ?? '2000-01-01 00:00';
  const events = [
    dossierEvent(spec.code, spec.received ? 'received' : 'submitted', start, {
      ...common,
      channel: spec.channel ?? 'direct',
      submitted_at: ts(spec.submitted ?? start),
      received_at: spec.received ? ts(spec.received) : null,
      due_at: spec.due ? ts(spec.due) : null,
      fee_vnd: spec.fee ?? null,
      components_digitized: spec.digitized ? 1 : null,
      ...spec.extra,
    }),
  ];
  for (const at of spec.supplements?.requested ?? []) {
    events.push(
      dossierEvent(spec.code, 'supplement_requested', at, { ...common, supplement_requested_at: [ts(at)] }),
    );
  }
  for (const at of spec.supplements?.received ?? []) {
    events.push(
      dossierEvent(spec.code, 'supplement_received', at, {
        ...common,
        supplement_received_at: [ts(at)],
        due_at: spec.dueAfterSupplement ? ts(spec.dueAfterSupplement) : null,
      }),
    );
  }
  if (spec.paidOnline !== undefined) {
    events.push(dossierEvent(spec.code, 'paid', start, { ...common, paid_online: spec.paidOnline }));
  }
  if (spec.finished) {
    const { at, kind } = spec.finished;
    events.push(
      dossierEvent(spec.code, kind, at, {
        ...common,
        finished_at: ts(at),
        finish_kind: kind,
        result_digitized: spec.digitized && kind !== 'rejected' && kind !== 'withdrawn' ? 1 : null,
      }),
    );
  }
  if (spec.satisfied !== undefined) {
    events.push(
      dossierEvent(spec.code, 'rated', spec.finished?.at ?? start, {
        ...common,
        rating_satisfied: spec.satisfied,
      }),
    );
  }
  return events;
}

export function agency(
  code: string,
  level: AgencyRow['admin_level'],
  extra: Partial<AgencyRow> = {},
): AgencyRow {
  return {
    agency_code: code,
    name: code,
    admin_level: level,
    parent_code: null,
    valid_from: '2020-01-01',
    valid_to: null,
    version: 1,
    ...extra,
  };
}

export function procedure(code: string, extra: Partial<ProcedureRow>): ProcedureRow {
  return {
    procedure_code: code,
    name: code,
    field_code: 'G01-CA05',
    agency_code: 'SO-TNMT',
    admin_levels: ['province'],
    online_eligible: 1,
    online_class: 'none',
    full_process_eligible: 0,
    fee_bearing: 0,
    online_payment: 0,
    dvcqg_integrated: 0,
    max_processing_working_days: null,
    paper_result_required: 0,
    serves: ['citizen', 'organization'],
    applied_units: [],
    unit_service_status: [],
    valid_from: '2020-01-01',
    valid_to: null,
    version: 1,
    ...extra,
  };
}

/** Catalog rows: the agencies, then the procedures. */
export async function insertCatalog(
  clickhouse: ClickHouse,
  agencies: readonly AgencyRow[],
  procedures: readonly ProcedureRow[],
): Promise<void> {
  await clickhouse.insert({ table: 'agencies_v1', values: [...agencies], format: 'JSONEachRow' });
  await clickhouse.insert({ table: 'procedures_v1', values: [...procedures], format: 'JSONEachRow' });
}

/**
 * PROV ← COMM, with P-5 (a legal maximum of 5 working days, full online) and P-NONE (none, a land field):
 * the catalog of the tests that settle elapsed days (kpi-catch-up, kpi-day-settle).
 */
export function insertSettlingCatalog(clickhouse: ClickHouse): Promise<void> {
  return insertCatalog(
    clickhouse,
    [agency('PROV', 'province'), agency('COMM', 'commune', { parent_code: 'PROV' })],
    [
      procedure('P-5', { agency_code: 'PROV', max_processing_working_days: 5, online_class: 'full' }),
      procedure('P-NONE', { agency_code: 'PROV', field_code: 'G13-TN02', online_class: 'partial' }),
    ],
  );
}
