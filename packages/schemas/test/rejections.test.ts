import { describe, expect, it } from 'vitest';
import { normalizeMessage, type RawMessage, REJECTION_CODES } from '../src/index.ts';
import { canonicalEvent, dvcqgRecord, message, OPTIONS, PROCEDURE, TOPICS } from './fixtures.ts';

const T = '2025-03-04T09:00:00+07:00';
const PERSONAL = ['Nguyễn Văn A', '079123456789', '0901234567', 'a@b.vn', '12 Lê Lợi'];

function rejection(msg: RawMessage, options = OPTIONS) {
  const result = normalizeMessage(msg, options);
  if (result.ok) throw new Error('expected a rejection');
  expect(REJECTION_CODES).toContain(result.rejection.code);
  for (const value of PERSONAL) expect(result.rejection.reason).not.toContain(value);
  return result.rejection;
}

const dv = (fields: Record<string, unknown>) => message(TOPICS.dvcqg, dvcqgRecord(fields));
const ev = (kind: string, data: Record<string, unknown>, time = T) =>
  message(TOPICS.events, canonicalEvent(kind, time, data));

describe('rejections', () => {
  it.each([
    ['unknown_topic', { ...dv({}), topic: 'other.topic' }, /other\.topic.*expected dossier\.events\.v1/],
    ['bad_origin', { ...dv({}), offset: '-1' }, /offset/],
    ['empty', message(TOPICS.events, null, null), /empty/],
    ['empty', message(TOPICS.events, null, Buffer.from('  \n')), /whitespace/],
    ['invalid_encoding', message(TOPICS.dvcqg, null, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /UTF-8/],
    [
      'invalid_json',
      message(TOPICS.dvcqg, null, Buffer.from('{"ChuHoSo": "Nguyễn Văn A"')),
      /not valid JSON/,
    ],
    [
      'invalid_json',
      message(TOPICS.dvcqg, null, Buffer.from('{"SoGiayToChuHoSo": 079123456789x}')),
      /character/,
    ],
    ['schema', message(TOPICS.events, [1, 2]), /expected a JSON object/],
    ['schema', ev('received', {}), /data\.procedure_code/],
    ['schema', dv({ KenhThucHien: 9 }), /KenhThucHien: 9 is not a known channel/],
    [
      'schema',
      dv({ SoGiayToChuHoSo: { x: '079123456789' } }),
      /SoGiayToChuHoSo: expected an identity number/,
    ],
    ['schema', ev('paid', { paid_online: true }), /payment_channel/],
    [
      'schema',
      { ...ev('processing', {}), value: Buffer.from('{"specversion":"0.3","type":"vn.dossier.processing"}') },
      /specversion/,
    ],
    ['unknown_kind', ev('approved', {}), /vn\.dossier\.approved.*expected vn\.dossier\.<kind>/],
    ['unknown_kind', message(TOPICS.catalog, { type: 'vn.catalog.field' }), /vn\.catalog\.field/],
    ['unknown_status', dv({ TrangThaiHoSo: 11 }), /TrangThaiHoSo: 11 .*expected 1–10/],
    ['missing_field', dv({ TrangThaiHoSo: 9 }), /NgayKetThucXuLy: missing/],
    ['missing_field', dv({ NgayNopHoSo: undefined, NgayTiepNhan: undefined }), /to date the snapshot/],
    [
      'missing_field',
      ev('digitized', {}),
      /components_digitized, result_digitized, documents, results or has_digitized_component/,
    ],
    ['bad_date', dv({ NgayTiepNhan: '20250230090000' }), /NgayTiepNhan: expected an existing yyyyMMddHHmmss/],
    ['bad_date', dv({ NgayTiepNhan: '2025-03-04' }), /NgayTiepNhan/],
    ['bad_date', dv({ NgayNopHoSo: '20250304246000' }), /NgayNopHoSo/],
    ['bad_date', ev('processing', {}, '2025-02-29T10:00:00+07:00'), /time: expected an existing RFC 3339/],
    ['bad_date', ev('processing', {}, '2025-03-04 10:00:00'), /time/],
    [
      'bad_date',
      ev('received', { procedure_code: PROCEDURE, due_at: '2025-04-31T00:00:00Z' }),
      /data\.due_at/,
    ],
    ['due_before_receipt', dv({ NgayHenTra: '20250303170000' }), /NgayHenTra: .* is before NgayTiepNhan/],
    [
      'due_before_receipt',
      ev('received', { procedure_code: PROCEDURE, due_at: '2025-03-01T00:00:00Z' }),
      /data\.due_at/,
    ],
    [
      'negative_fee',
      dv({ DanhSachLePhi: [{ Gia: -1000 }] }),
      /DanhSachLePhi\[0\]\.Gia: expected an amount ≥ 0/,
    ],
    ['negative_fee', dv({ DanhSachLePhi: [{ Gia: '-1000' }] }), /Gia/],
    ['negative_fee', ev('payment_requested', { fees: [{ amount_vnd: -5 }] }), /data\.fees\[0\]\.amount_vnd/],
    ['future_time', ev('processing', {}, '2025-06-30T07:11:00+07:00'), /time: .* is in the future/],
    ['future_time', dv({ NgayKetThucXuLy: '20260101000000', TrangThaiHoSo: 9 }), /NgayKetThucXuLy/],
    [
      'future_time',
      ev('received', { procedure_code: PROCEDURE, received_at: '2030-01-01T00:00:00Z' }),
      /received_at/,
    ],
  ] as const)('%s: %#', (code, msg, reason) => {
    const r = rejection(msg as RawMessage);
    expect(r.code).toBe(code);
    expect(r.reason).toMatch(reason);
  });

  it('too_large says the size and the cap', () => {
    const big = message(TOPICS.events, null, Buffer.alloc(2048, 0x20));
    expect(rejection(big, { ...OPTIONS, maxMessageBytes: 1024 })).toEqual({
      code: 'too_large',
      reason: '(message): the value is 2048 bytes; the cap is 1024 bytes',
    });
  });

  it('accepts a time within the future tolerance and honours a custom tolerance', () => {
    const soon = ev('processing', {}, '2025-06-30T07:05:00+07:00');
    expect(normalizeMessage(soon, OPTIONS).ok).toBe(true);
    expect(rejection(soon, { ...OPTIONS, futureToleranceMs: 60_000 }).code).toBe('future_time');
  });

  it('allows a due date in the future', () => {
    expect(normalizeMessage(dv({ NgayHenTra: '20270101000000' }), OPTIONS).ok).toBe(true);
  });

  it('never echoes personal values, even when the personal fields themselves are malformed', () => {
    const msg = message(TOPICS.events, {
      ...canonicalEvent('submitted', T, {
        procedure_code: PROCEDURE,
        channel: 'online',
        applicant: { kind: 'person', id_number: 79123456789, name: 'Nguyễn Văn A', phone: '0901234567' },
      }),
    });
    const r = rejection(msg);
    expect(r.reason).toMatch(/data\.applicant\.kind/);
    expect(r.reason).toMatch(/data\.applicant\.id_number/);
    expect(r.reason).not.toContain('79123456789');
  });

  it('reports internal failures as internal_error instead of throwing', () => {
    const hostile = {
      ...dv({}),
      topic: TOPICS.dvcqg,
      get value(): Buffer {
        throw new RangeError('boom');
      },
    };
    expect(normalizeMessage(hostile as RawMessage, OPTIONS)).toEqual({
      ok: false,
      rejection: { code: 'internal_error', reason: 'normalizer failed (RangeError); please report' },
    });
  });
});
