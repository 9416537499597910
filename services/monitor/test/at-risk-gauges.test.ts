import { describe, expect, it } from 'vitest';
import { boundedUnits, OTHER_UNITS } from '../src/at-risk-gauges.ts';

describe('boundedUnits', () => {
  const rows = [
    { unit: 'A', overdue: 1, dueSoon: 0 },
    { unit: 'B', overdue: 5, dueSoon: 5 },
    { unit: 'C', overdue: 0, dueSoon: 3 },
    { unit: 'D', overdue: 2, dueSoon: 1 },
  ];

  it('labels every unit when they fit', () => {
    expect(boundedUnits(rows, 4)).toEqual(rows);
  });

  it('keeps the units with most dossiers and sums the rest under one label', () => {
    // B (10), then C and D (3 each, by code): C kept; D and A summed.
    expect(boundedUnits(rows, 3)).toEqual([
      { unit: 'B', overdue: 5, dueSoon: 5 },
      { unit: 'C', overdue: 0, dueSoon: 3 },
      { unit: OTHER_UNITS, overdue: 3, dueSoon: 1 },
    ]);
    expect(boundedUnits(rows, 1)).toEqual([{ unit: OTHER_UNITS, overdue: 8, dueSoon: 9 }]);
  });
});
