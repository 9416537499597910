import { describe, expect, it } from 'vitest';
import { backlogOptions, collect, collectWithCounts, normalizeAll } from './sample.ts';

// Generous timeouts: normalizing thousands of messages through zod takes seconds on a busy machine.
describe('simulator output against the input contract', { timeout: 120_000 }, () => {
  it('is accepted in full by normalizeMessage when no faults are asked for', () => {
    const messages = collect(backlogOptions());
    const { rows, rejections, catalogRows } = normalizeAll(messages);
    expect(rejections).toEqual([]);
    expect(catalogRows).toBeGreaterThan(180 + 500);
    expect(new Set(rows.map((r) => r.dialect))).toEqual(new Set(['canonical', 'dvcqg']));
    expect(new Set(rows.map((r) => r.kind)).size).toBe(15);
  });

  it('sends every kind of bad input, and only the broken copies are rejected', () => {
    const options = backlogOptions({
      dossiers: 1_500,
      faults: { duplicate: 0.05, outOfOrder: 0.1, malformed: 0.05 },
    });
    const { messages, counts } = collectWithCounts(options);
    const { rejections } = normalizeAll(messages);
    expect(counts.malformed).toBeGreaterThan(200);
    expect(counts.duplicates).toBeGreaterThan(200);
    expect(counts.outOfOrder).toBeGreaterThan(200);
    expect(rejections.length).toBe(counts.malformed);
    const codes = new Set(rejections.map((r) => r.code));
    for (const code of ['invalid_json', 'empty', 'bad_date', 'schema', 'negative_fee', 'missing_field']) {
      expect(codes, code).toContain(code);
    }
    expect([...codes].some((c) => c === 'unknown_kind' || c === 'unknown_status')).toBe(true);
  });

  it('leaves no personal data in the normalized rows', () => {
    const { rows } = normalizeAll(collect(backlogOptions({ dossiers: 500 })));
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/Nguyễn|Trần|Công ty TNHH/);
    expect(text).not.toMatch(/"079\d{9}"/);
    expect(rows.some((r) => r.applicant_hash !== null)).toBe(true);
  });
});
