import { describe, expect, it } from 'vitest';
import {
  DOSSIER_KINDS,
  type DossierEventRow,
  DossierEventRowSchema,
  type DossierKind,
  normalizeMessage,
} from '../src/index.ts';
import { canonicalEvent, DOSSIER, message, OPTIONS, PROCEDURE, TOPICS } from './fixtures.ts';

const T = '2025-03-04T09:00:00+07:00';
const T_UTC = '2025-03-04 02:00:00.000';

/** The least data each kind needs. */
const MINIMAL: Record<DossierKind, Record<string, unknown>> = {
  submitted: { procedure_code: PROCEDURE, channel: 'online' },
  received: { procedure_code: PROCEDURE },
  rejected: {},
  processing: {},
  supplement_requested: {},
  supplement_received: {},
  payment_requested: { fees: [{ amount_vnd: 50_000 }] },
  paid: { paid_online: false },
  withdrawn: {},
  stopped: {},
  resolved: {},
  result_returned: {},
  digitized: { result_digitized: true },
  synced_to_national_portal: {},
  rated: { satisfied: true },
};

const EXPECTED: Record<DossierKind, Partial<DossierEventRow>> = {
  submitted: { status: 1, submitted_at: T_UTC, channel: 'online', procedure_code: PROCEDURE },
  received: { status: 2, received_at: T_UTC, submitted_at: null },
  rejected: { status: 3, finished_at: T_UTC, finish_kind: 'rejected' },
  processing: { status: 4, finished_at: null },
  supplement_requested: { status: 5, supplement_requested_at: [T_UTC] },
  supplement_received: { status: 4, supplement_received_at: [T_UTC] },
  payment_requested: { status: 6, fee_vnd: 50_000 },
  paid: { status: null, paid_online: 0, payment_channel: 'offline', fee_vnd: null },
  withdrawn: { status: 7, finished_at: T_UTC, finish_kind: 'withdrawn' },
  stopped: { status: 8, finished_at: T_UTC, finish_kind: 'stopped' },
  resolved: { status: 9, finished_at: T_UTC, finish_kind: 'resolved' },
  result_returned: { status: 10, finished_at: T_UTC, finish_kind: 'result_returned' },
  digitized: { status: null, result_digitized: 1, components_digitized: null },
  synced_to_national_portal: { status: null, synced_national_at: T_UTC },
  rated: { status: null, rating_satisfied: 1, rating_score: null },
};

function normalizeOne(value: unknown): DossierEventRow {
  const result = normalizeMessage(message(TOPICS.events, value), OPTIONS);
  if (!result.ok) throw new Error(`rejected: ${result.rejection.code} ${result.rejection.reason}`);
  expect(result.output.table).toBe('dossier_events_v1');
  const row = result.output.rows[0] as DossierEventRow;
  expect(DossierEventRowSchema.parse(row)).toEqual(row);
  return row;
}

describe('canonical events', () => {
  it.each(DOSSIER_KINDS)('normalizes a minimal %s event', (kind) => {
    const row = normalizeOne(canonicalEvent(kind, T, MINIMAL[kind], `id-${kind}`));
    expect(row).toMatchObject({
      event_id: `id-${kind}`,
      dialect: 'canonical',
      kind,
      dossier_code: DOSSIER,
      agency_code: 'H29.105',
      occurred_at: T_UTC,
      version: Date.parse('2025-03-04T02:00:00Z'),
      source_topic: TOPICS.events,
      ...EXPECTED[kind],
    });
  });

  it('trims and upper-cases codes and prefers the agency in data over the dossier prefix', () => {
    const event = canonicalEvent('received', T, {
      procedure_code: ' 1.000494.000.00.00.h29 ',
      agency_code: 'h29.200',
      field_code: 'g09-xd01',
    });
    event.subject = ' h29.105-250304-0001 ';
    expect(normalizeOne(event)).toMatchObject({
      dossier_code: DOSSIER,
      agency_code: 'H29.200',
      procedure_code: PROCEDURE,
      field_code: 'G09-XD01',
    });
  });

  it.each([
    ['G09-LĐ09', 'G09-LD09'],
    ['g07-lđ03', 'G07-LD03'],
    ['HHNH - 1', 'HHNH-1'],
    ['G09-LD09', 'G09-LD09'],
  ])('folds the national field code %s to %s so every spelling joins', (input, folded) => {
    const row = normalizeOne(canonicalEvent('received', T, { procedure_code: PROCEDURE, field_code: input }));
    expect(row.field_code).toBe(folded);
  });

  it('converts offsets to UTC with millisecond precision', () => {
    const row = normalizeOne(canonicalEvent('processing', '2025-03-04T23:59:59.123456-05:30'));
    expect(row.occurred_at).toBe('2025-03-05 05:29:59.123');
    expect(row.version).toBe(Date.parse('2025-03-05T05:29:59.123Z'));
  });

  it('keeps only a keyed hash of the applicant, the same for equal IDs written differently', () => {
    const applicant = {
      kind: 'citizen',
      id_number: '079 123 456 789',
      name: 'Trần Thị B',
      phone: '0912345678',
    };
    const row = normalizeOne(canonicalEvent('submitted', T, { ...MINIMAL.submitted, applicant }));
    const again = normalizeOne(
      canonicalEvent('submitted', T, {
        ...MINIMAL.submitted,
        applicant: { kind: 'citizen', id_number: '079123456789' },
      }),
    );
    expect(row.applicant_kind).toBe('citizen');
    expect(row.applicant_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.applicant_hash).toBe(again.applicant_hash);
    const text = JSON.stringify(row);
    for (const secret of ['079', 'Trần', '0912345678']) expect(text).not.toContain(secret);
  });

  it('hashes under the configured key, so another key gives another hash', () => {
    const event = canonicalEvent('submitted', T, {
      ...MINIMAL.submitted,
      applicant: { kind: 'organization', id_number: '0312345678' },
    });
    const a = normalizeMessage(message(TOPICS.events, event), OPTIONS);
    const b = normalizeMessage(message(TOPICS.events, event), { ...OPTIONS, applicantHashKey: 'other-key' });
    const hash = (r: typeof a) =>
      r.ok ? (r.output.rows[0] as DossierEventRow).applicant_hash : r.rejection.code;
    expect(hash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(b)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(a)).not.toBe(hash(b));
    expect(normalizeMessage(message(TOPICS.events, event), OPTIONS)).toMatchObject({ ok: true });
  });

  it('sums fees and records the online payment channel', () => {
    const row = normalizeOne(
      canonicalEvent('paid', T, {
        fees: [{ code: 'LP1', amount_vnd: 10_000 }, { amount_vnd: 40_000 }],
        paid_online: true,
        payment_channel: 'local_gateway',
      }),
    );
    expect(row).toMatchObject({ fee_vnd: 50_000, paid_online: 1, payment_channel: 'local_gateway' });
  });

  it('takes explicit fact times from data and the due date as given', () => {
    const row = normalizeOne(
      canonicalEvent('received', T, {
        procedure_code: PROCEDURE,
        channel: 'postal',
        submitted_at: '2025-03-03T16:00:00+07:00',
        received_at: '2025-03-04T08:00:00+07:00',
        due_at: '2025-03-18T17:00:00+07:00',
        components_digitized: true,
      }),
    );
    expect(row).toMatchObject({
      channel: 'postal',
      submitted_at: '2025-03-03 09:00:00.000',
      received_at: '2025-03-04 01:00:00.000',
      due_at: '2025-03-18 10:00:00.000',
      components_digitized: 1,
    });
  });

  it('takes the appointment re-issued when a supplement is received', () => {
    const row = normalizeOne(
      canonicalEvent('supplement_received', T, {
        received_at: '2025-03-04T08:00:00+07:00',
        due_at: '2025-03-21T17:00:00+07:00',
      }),
    );
    expect(row).toMatchObject({
      supplement_received_at: ['2025-03-04 01:00:00.000'],
      due_at: '2025-03-21 10:00:00.000',
    });
  });

  it('counts submitted documents per flag and reads the result documents', () => {
    const received = normalizeOne(
      canonicalEvent('received', '2025-03-04T09:00:00+07:00', {
        procedure_code: '1.000494',
        documents: [{ attached: true, digitized: true }, { reused: true, name: 'CCCD' }, {}],
        vneid_verified: true,
        population_db_used: false,
      }),
    );
    expect(received).toMatchObject({
      docs_total: 3,
      docs_with_file: 1,
      docs_digitized: 1,
      docs_reused: 1,
      docs_from_national_store: 0,
      vneid_verified: 1,
      population_db_used: 0,
      has_digitized_component: null,
    });
    const resolved = normalizeOne(
      canonicalEvent('resolved', '2025-03-10T10:00:00+07:00', {
        results: [{ code: '12/GP', file_url: 'https://x/kq.pdf' }, { to_applicant_store: true }],
      }),
    );
    expect(resolved).toMatchObject({
      result_digitized: 1,
      result_code_and_file: 1,
      result_to_applicant_store: 1,
    });
    // An explicit result_digitized wins over the list; no list leaves the result facts unknown.
    expect(
      normalizeOne(
        canonicalEvent('resolved', '2025-03-10T10:00:00+07:00', {
          result_digitized: false,
          results: [{ code: '1' }],
        }),
      ),
    ).toMatchObject({ result_digitized: 0, result_code_and_file: 0 });
    expect(normalizeOne(canonicalEvent('resolved', '2025-03-10T10:00:00+07:00'))).toMatchObject({
      result_digitized: null,
      result_code_and_file: null,
    });
  });

  it('accepts CloudEvents extension attributes and unknown data fields', () => {
    const event = {
      ...canonicalEvent('rated', T, { satisfied: false, score: 2, extra: 1 }),
      traceparent: '00-abc',
    };
    expect(normalizeOne(event)).toMatchObject({ rating_satisfied: 0, rating_score: 2 });
  });
});
