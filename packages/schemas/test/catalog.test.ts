import { describe, expect, it } from 'vitest';
import {
  AgencyRowSchema,
  normalizeMessage,
  onlineClassOfLevel,
  ProcedureRowSchema,
  toWorkingDays,
} from '../src/index.ts';
import { message, OPTIONS, TOPICS } from './fixtures.ts';

const TIME = '2025-01-02T08:00:00+07:00';
const upsert = (type: string, data: Record<string, unknown>) =>
  message(TOPICS.catalog, { specversion: '1.0', id: 'c-1', source: '/catalog', type, time: TIME, data });

const procedure = {
  code: '1.001008.000.00.00.h29',
  name: 'Thủ tục cấp giấy phép đủ điều kiện kinh doanh dịch vụ vũ trường',
  field_code: 'G16-VH13',
  admin_levels: ['province', 'commune', 'province'],
  online_eligible: true,
  online_class: 'partial',
  full_process_eligible: false,
  fee_bearing: true,
  online_payment: true,
  dvcqg_integrated: true,
  max_processing_time: { value: 10, unit: 'WORKING_DAY' },
  valid_from: '2023-01-01',
};
const agency = {
  code: 'h29.105',
  name: 'Sở Văn hóa và Thể thao',
  admin_level: 'province',
  valid_from: '2020-01-01',
};

function normalized(msg: ReturnType<typeof upsert>) {
  const result = normalizeMessage(msg, OPTIONS);
  if (!result.ok) throw new Error(`${result.rejection.code}: ${result.rejection.reason}`);
  return result.output;
}

describe('catalog upserts', () => {
  it('normalizes a procedure upsert into a procedures_v1 row versioned by the event time', () => {
    const out = normalized(upsert('vn.catalog.procedure', procedure));
    expect(out.table).toBe('procedures_v1');
    expect(ProcedureRowSchema.parse(out.rows[0])).toEqual({
      procedure_code: '1.001008.000.00.00.H29',
      name: procedure.name,
      field_code: 'G16-VH13',
      agency_code: null,
      admin_levels: ['commune', 'province'],
      online_eligible: 1,
      online_class: 'partial',
      full_process_eligible: 0,
      fee_bearing: 1,
      online_payment: 1,
      dvcqg_integrated: 1,
      max_processing_working_days: 10,
      paper_result_required: 0,
      serves: ['citizen', 'organization'],
      applied_units: [],
      unit_service_status: [],
      valid_from: '2023-01-01',
      valid_to: null,
      version: Date.parse(TIME),
    });
  });

  it('keeps the Decision 766 attributes: paper result, subjects, applied units with their online service status', () => {
    const out = normalized(
      upsert('vn.catalog.procedure', {
        ...procedure,
        paper_result_required: true,
        serves: ['citizen'],
        applied_units: [
          { agency_code: 'h29.26734', online_service: 'trial' },
          { agency_code: 'H29.105' },
          { agency_code: 'H29.26735', online_service: 'withdrawn' },
        ],
      }),
    );
    expect(out.rows[0]).toMatchObject({
      paper_result_required: 1,
      serves: ['citizen'],
      // Sorted by unit; a unit without a status has the service published (the procedure is offered online).
      applied_units: ['H29.105', 'H29.26734', 'H29.26735'],
      unit_service_status: ['published', 'trial', 'withdrawn'],
    });
    const offline = normalized(
      upsert('vn.catalog.procedure', {
        ...procedure,
        online_class: 'none',
        applied_units: [{ agency_code: 'H29.105' }],
      }),
    );
    expect(offline.rows[0]).toMatchObject({ unit_service_status: ['none'] });
  });

  it('rejects a unit listed twice and an unknown online service status', () => {
    const twice = normalizeMessage(
      upsert('vn.catalog.procedure', {
        ...procedure,
        applied_units: [{ agency_code: 'H29.105' }, { agency_code: 'h29.105' }],
      }),
      OPTIONS,
    );
    expect(twice).toMatchObject({
      ok: false,
      rejection: {
        code: 'schema',
        reason: expect.stringMatching(/applied_units: expected each unit at most once/),
      },
    });
    const status = normalizeMessage(
      upsert('vn.catalog.procedure', {
        ...procedure,
        applied_units: [{ agency_code: 'H29.105', online_service: 'live' }],
      }),
      OPTIONS,
    );
    expect(status).toMatchObject({
      ok: false,
      rejection: { code: 'schema', reason: expect.stringMatching(/online_service/) },
    });
  });

  it.each([
    [4, 'full'],
    [3, 'partial'],
    [2, 'none'],
    [1, 'none'],
  ] as const)('maps legacy online level %i to %s', (level, expected) => {
    expect(onlineClassOfLevel(level)).toBe(expected);
    const { online_class: _, ...rest } = procedure;
    const out = normalized(upsert('vn.catalog.procedure', { ...rest, online_level: level }));
    expect(out.rows[0]).toMatchObject({ online_class: expected });
  });

  it('rejects a legacy level that contradicts online_class, and a procedure with neither', () => {
    const contradicting = normalizeMessage(
      upsert('vn.catalog.procedure', { ...procedure, online_level: 4 }),
      OPTIONS,
    );
    expect(contradicting).toMatchObject({ ok: false, rejection: { code: 'schema' } });
    const { online_class: _, ...neither } = procedure;
    const missing = normalizeMessage(upsert('vn.catalog.procedure', neither), OPTIONS);
    expect(missing).toMatchObject({
      ok: false,
      rejection: { code: 'schema', reason: expect.stringMatching(/online_class/) },
    });
  });

  it.each([
    [{ value: 15, unit: 'WORKING_DAY' }, 15],
    [{ value: 7, unit: 'DAY' }, 5],
    [{ value: 10, unit: 'DAY' }, 7.14],
    [{ value: 4, unit: 'HOUR' }, 0.5],
    [{ value: 2, unit: 'MONTH' }, 44],
    [null, null],
  ] as const)('normalizes the legal maximum %j to %s working days', (time, days) => {
    expect(toWorkingDays(time)).toBe(days);
    const out = normalized(upsert('vn.catalog.procedure', { ...procedure, max_processing_time: time }));
    expect(out.rows[0]).toMatchObject({ max_processing_working_days: days });
  });

  it('normalizes an agency upsert with its validity range', () => {
    const out = normalized(
      upsert('vn.catalog.agency', {
        ...agency,
        parent_code: 'h29',
        valid_to: '2025-07-01',
        extra: 'ignored',
      }),
    );
    expect(out.table).toBe('agencies_v1');
    expect(AgencyRowSchema.parse(out.rows[0])).toEqual({
      agency_code: 'H29.105',
      name: agency.name,
      admin_level: 'province',
      parent_code: 'H29',
      valid_from: '2020-01-01',
      valid_to: '2025-07-01',
      version: Date.parse(TIME),
    });
  });

  it.each([
    [{ ...agency, admin_level: 'district', valid_from: '2025-07-01' }, 'schema', /district level ended/],
    [{ ...agency, valid_to: '2019-12-31' }, 'schema', /valid_to: expected a date after valid_from/],
    [{ ...agency, valid_from: '2025-02-29' }, 'bad_date', /valid_from/],
    [{ ...agency, parent_code: 'H29.105' }, 'schema', /parent_code/],
    [{ ...agency, admin_level: 'ward' }, 'schema', /admin_level/],
  ] as const)('rejects a bad agency upsert: %#', (data, code, reason) => {
    const result = normalizeMessage(upsert('vn.catalog.agency', data), OPTIONS);
    expect(result).toMatchObject({ ok: false, rejection: { code, reason: expect.stringMatching(reason) } });
  });
});
