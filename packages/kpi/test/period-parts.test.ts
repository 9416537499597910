import { describe, expect, it } from 'vitest';
import { periodParts } from '../src/index766/period-chunks.ts';

const p = (period_kind: string, period_start: string) => ({ period_kind, period_start, purposes: ['all'] });

describe('periodParts', () => {
  it('cuts periods in kind order, then by start, into runs whose lengths differ by one at most', () => {
    const periods = [
      p('year', '2026-01-01'),
      p('month', '2026-12-01'),
      p('quarter', '2026-10-01'),
      p('month', '2026-11-01'),
      p('month', '2026-10-01'),
    ];
    const parts = periodParts(periods, 2);
    expect(parts.map((part) => part.map((x) => `${x.period_kind} ${x.period_start}`))).toEqual([
      ['month 2026-10-01', 'month 2026-11-01'],
      ['month 2026-12-01', 'quarter 2026-10-01', 'year 2026-01-01'],
    ]);
    expect(parts.flat()).toHaveLength(periods.length);
  });

  it('gives one part per period at most, and one part for a single one or none asked', () => {
    const periods = [p('month', '2026-12-01'), p('year', '2026-01-01')];
    expect(periodParts(periods, 11)).toHaveLength(2);
    expect(periodParts(periods, 1)).toEqual([[periods[0], periods[1]]]);
    expect(periodParts(periods, 0)).toHaveLength(1);
    expect(periodParts([], 4)).toEqual([]);
  });
});
