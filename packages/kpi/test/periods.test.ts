import { describe, expect, it } from 'vitest';
import { nextPeriodStart, periodStartOf, periodsBetween, phaseOf } from '../src/index.ts';

describe('phaseOf', () => {
  it('puts 2021–2025 in phase 1 and 2026–2030 in phase 2, by the period start', () => {
    expect(phaseOf('2021-01-01')).toBe(1);
    expect(phaseOf('2025-12-31')).toBe(1);
    expect(phaseOf('2025-10-01')).toBe(1); // Q4 2025
    expect(phaseOf('2026-01-01')).toBe(2);
    expect(phaseOf('2030-12-01')).toBe(2);
    expect(phaseOf('2020-12-31')).toBeNull();
    expect(phaseOf('2031-01-01')).toBeNull();
  });
});

describe('periodStartOf', () => {
  it('uses city time: 17:30 UTC on 31 March is 1 April in Ho Chi Minh City', () => {
    const at = new Date('2025-03-31T17:30:00Z');
    expect(periodStartOf('day', at)).toBe('2025-04-01');
    expect(periodStartOf('month', at)).toBe('2025-04-01');
    expect(periodStartOf('quarter', at)).toBe('2025-04-01');
    expect(periodStartOf('day', new Date('2025-03-31T16:59:59Z'))).toBe('2025-03-31');
  });

  it('starts quarters in January, April, July and October', () => {
    expect(periodStartOf('quarter', new Date('2025-12-31T00:00:00Z'))).toBe('2025-10-01');
    expect(periodStartOf('quarter', new Date('2025-02-10T00:00:00Z'))).toBe('2025-01-01');
    expect(periodStartOf('year', new Date('2025-12-31T16:59:00Z'))).toBe('2025-01-01');
    expect(periodStartOf('year', new Date('2025-12-31T17:00:00Z'))).toBe('2026-01-01');
  });
});

describe('nextPeriodStart and periodsBetween', () => {
  it('steps across month and year ends', () => {
    expect(nextPeriodStart('day', '2024-02-28')).toBe('2024-02-29');
    expect(nextPeriodStart('day', '2025-12-31')).toBe('2026-01-01');
    expect(nextPeriodStart('month', '2025-12-01')).toBe('2026-01-01');
    expect(nextPeriodStart('quarter', '2025-10-01')).toBe('2026-01-01');
    expect(nextPeriodStart('year', '2025-01-01')).toBe('2026-01-01');
  });

  it('lists every period overlapping an inclusive date range', () => {
    expect(periodsBetween('month', '2025-11-15', '2026-01-02')).toEqual([
      '2025-11-01',
      '2025-12-01',
      '2026-01-01',
    ]);
    expect(periodsBetween('quarter', '2025-12-31', '2026-01-01')).toEqual(['2025-10-01', '2026-01-01']);
    expect(periodsBetween('day', '2025-03-01', '2025-03-03')).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
    ]);
  });
});
