import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AgencyRowSchema,
  DOSSIER_KINDS,
  DossierEventRowSchema,
  Index766ExternalRowSchema,
  type NormalizeResult,
  normalizeMessage,
  ProcedureRowSchema,
} from '../src/index.ts';
import { canonicalEvent, dvcqgRecord, message, OPTIONS, PROCEDURE, TOPICS } from './fixtures.ts';

const ROW_SCHEMAS = {
  dossier_events_v1: DossierEventRowSchema,
  procedures_v1: ProcedureRowSchema,
  agencies_v1: AgencyRowSchema,
  index766_external_v1: Index766ExternalRowSchema,
} as const;

/** Every output either satisfies the row contract or is a rejection with a code and a reason. */
function assertWellFormed(result: NormalizeResult): void {
  if (result.ok) {
    expect(result.output.rows.length).toBeGreaterThan(0);
    for (const row of result.output.rows) {
      const check = ROW_SCHEMAS[result.output.table].safeParse(row);
      expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
    }
  } else {
    expect(result.rejection.code).toMatch(/^[a-z_]+$/);
    // internal_error keeps the ingestor alive, but here it would mean a bug in the normalizer.
    expect(result.rejection.code).not.toBe('internal_error');
    expect(result.rejection.reason.length).toBeGreaterThan(0);
  }
}

const outcomes = new Map<string, number>();

function run(topic: string, value: Buffer | null): NormalizeResult {
  const result = normalizeMessage(message(topic, null, value), { ...OPTIONS, maxMessageBytes: 64 * 1024 });
  assertWellFormed(result);
  const key = result.ok ? 'ok' : result.rejection.code;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  return result;
}

const topic = fc.constantFrom(TOPICS.events, TOPICS.dvcqg, TOPICS.catalog, 'unknown.topic');
const RUNS = { numRuns: 400 };

/** Personal values carry a marker so any leak into rows or reasons is visible. */
const personal = fc.oneof(
  fc.string().map((s) => `PII-${s}`),
  fc.array(
    fc.string().map((s) => `PII-${s}`),
    { maxLength: 2 },
  ),
  fc.record({ SoDinhDanh: fc.string().map((s) => `PII-${s}`) }).map((r) => [r]),
);

const VALID_EVENTS: Record<string, unknown>[] = [
  canonicalEvent('submitted', '2025-03-04T08:30:00+07:00', {
    procedure_code: PROCEDURE,
    channel: 'online',
    applicant: { kind: 'citizen', id_number: '079123456789' },
  }),
  canonicalEvent('received', '2025-03-04T09:00:00+07:00', {
    procedure_code: PROCEDURE,
    due_at: '2025-03-18T17:00:00Z',
  }),
  canonicalEvent('paid', '2025-03-08T09:30:00+07:00', {
    fees: [{ amount_vnd: 5 }],
    paid_online: true,
    payment_channel: 'dvcqg',
  }),
  canonicalEvent('rated', '2025-03-12T09:30:00+07:00', { satisfied: true, score: 4 }),
  canonicalEvent('supplement_requested', '2025-03-06T10:00:00+07:00', {}),
];
const VALID_RECORDS: Record<string, unknown>[] = [
  dvcqgRecord(),
  dvcqgRecord({
    TrangThaiHoSo: 10,
    NgayKetThucXuLy: '20250310100000',
    NgayTra: '20250311100000',
    DanhSachLePhi: [{ Gia: 1000 }],
    DanhSachHoSoBoSung: [{ NgayBoSung: '20250306100000', NgayTiepNhanBoSung: '20250307100000' }],
    TaiLieuNop: [{ DuocSoHoa: 1 }],
    DanhSachGiayToKetQua: [{ DuongDanTepTinKetQua: 'https://x' }],
    DuocThanhToanTrucTuyen: 2,
  }),
];

/** A mutation sets, deletes or replaces one field, at the top level or inside `data`. */
const mutation = fc.record({
  path: fc.oneof(
    fc.constantFrom(
      'specversion',
      'id',
      'type',
      'time',
      'subject',
      'data',
      'MaHoSo',
      'TrangThaiHoSo',
      'NgayTiepNhan',
    ),
    fc.constantFrom(
      'NgayHenTra',
      'KenhThucHien',
      'DanhSachLePhi',
      'DuocThanhToanTrucTuyen',
      'TaiLieuNop',
      'DonViXuLy',
    ),
    fc.constantFrom(
      'data.fees',
      'data.channel',
      'data.due_at',
      'data.applicant',
      'data.procedure_code',
      'data.score',
    ),
    fc.string({ maxLength: 12 }),
  ),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant(undefined),
    fc.constantFrom(
      '20250230000000',
      '2025-02-29T00:00:00Z',
      '99991231235959',
      -1,
      '',
      null,
      1e300,
      'vn.dossier.x',
    ),
    fc.constantFrom(
      ...DOSSIER_KINDS.map((k) => `vn.dossier.${k}`),
      ...Array.from({ length: 12 }, (_, i) => i),
    ),
  ),
});

function mutate(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  const [head, tail] = path.startsWith('data.') ? ['data', path.slice(5)] : [path, undefined];
  const target = tail === undefined ? copy : (copy.data as Record<string, unknown> | undefined);
  const key = tail ?? head;
  if (target === undefined || target === null || typeof target !== 'object') return copy;
  if (value === undefined) delete target[key];
  else target[key] = value;
  return copy;
}

describe('normalizeMessage never throws', () => {
  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(topic, fc.option(fc.uint8Array({ maxLength: 300 })), (t, bytes) => {
        run(t, bytes === null ? null : Buffer.from(bytes));
      }),
      RUNS,
    );
  });

  it('on arbitrary JSON', () => {
    fc.assert(
      fc.property(topic, fc.jsonValue(), (t, value) => {
        run(t, Buffer.from(JSON.stringify(value) ?? 'null'));
      }),
      RUNS,
    );
  });

  it('on deeply nested and oversized input', () => {
    run(TOPICS.events, Buffer.from(`${'['.repeat(50_000)}${']'.repeat(50_000)}`));
    run(TOPICS.dvcqg, Buffer.from(`{"DanhSachLePhi":${'['.repeat(30_000)}${']'.repeat(30_000)}}`));
    expect(run(TOPICS.dvcqg, Buffer.alloc(70_000, 0x20))).toMatchObject({ rejection: { code: 'too_large' } });
  });

  it('on mutated canonical events, truncated or not, and never leaks personal values', () => {
    const arb = fc.tuple(
      fc.constantFrom(...VALID_EVENTS),
      fc.array(mutation, { maxLength: 3 }),
      personal,
      fc.boolean(),
      fc.nat(),
    );
    fc.assert(
      fc.property(arb, ([base, mutations, pii, truncate, cut]) => {
        let value = mutations.reduce((acc, m) => mutate(acc, m.path, m.value), base);
        const data = value.data;
        if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
          value = {
            ...value,
            data: { ...data, applicant: { kind: 'citizen', id_number: 'PII-x', name: pii, phone: pii } },
          };
        }
        const text = JSON.stringify(value);
        const bytes = Buffer.from(truncate ? text.slice(0, cut % text.length) : text);
        expect(JSON.stringify(run(TOPICS.events, bytes))).not.toContain('PII-');
      }),
      RUNS,
    );
  });

  it('on mutated DVCQG records, truncated or not, and never leaks personal values', () => {
    const arb = fc.tuple(
      fc.constantFrom(...VALID_RECORDS),
      fc.array(mutation, { maxLength: 3 }),
      personal,
      fc.boolean(),
      fc.nat(),
    );
    fc.assert(
      fc.property(arb, ([base, mutations, pii, truncate, cut]) => {
        const mutated = mutations.reduce((acc, m) => mutate(acc, m.path, m.value), base);
        const value = {
          ...mutated,
          ChuHoSo: pii,
          SoGiayToChuHoSo: 'PII-1',
          DinhDanhCHS: pii,
          EmailChuHoSo: pii,
        };
        const text = JSON.stringify(value);
        const bytes = Buffer.from(truncate ? text.slice(0, cut % text.length) : text);
        expect(JSON.stringify(run(TOPICS.dvcqg, bytes))).not.toContain('PII-');
      }),
      RUNS,
    );
  });

  it('accepts the unmutated bases (so the mutation tests start from valid input)', () => {
    for (const e of VALID_EVENTS) expect(run(TOPICS.events, Buffer.from(JSON.stringify(e))).ok).toBe(true);
    for (const r of VALID_RECORDS) expect(run(TOPICS.dvcqg, Buffer.from(JSON.stringify(r))).ok).toBe(true);
  });
});

describe('the generators', () => {
  it('reach both accepted rows and many distinct rejection codes', () => {
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(50);
    expect(outcomes.size).toBeGreaterThanOrEqual(8);
  });
});
