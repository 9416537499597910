import { describe, expect, it } from 'vitest';
import { type OutlookCell, type OutlookHistory, outlookOf, projectionShare } from '../src/index.ts';

// The outlook's scores from counts, against values computed by hand. Province P has a district C, which
// has a commune G; X is another province.

const cell = (agency: string, chain: string[], procedure: string, c: Partial<OutlookCell>): OutlookCell => ({
  agency,
  chain,
  procedure,
  atStake: 0,
  waitingApplicant: 0,
  overdue: 0,
  ...c,
});

const cells: OutlookCell[] = [
  cell('P', ['P'], 'A', { atStake: 2, waitingApplicant: 1, overdue: 1 }),
  cell('C', ['C', 'P'], 'A', { atStake: 3 }),
  cell('G', ['G', 'C', 'P'], 'B', { atStake: 4, overdue: 2 }),
  cell('X', ['X'], 'A', { atStake: 5 }),
];

const history: OutlookHistory[] = [
  // P's procedure A: 8 of 10 on time, enough history of its own (0.8).
  { agency: 'P', procedure: 'A', finished: 10, onTime: 8 },
  // C's procedure A has 2 finishes, too few: C over every procedure, 3 of 6 (0.5).
  { agency: 'C', procedure: 'A', finished: 2, onTime: 2 },
  { agency: 'C', procedure: 'B', finished: 4, onTime: 1 },
  // G and X have no history: their dossiers at stake are projected missed.
];

describe('projectionShare', () => {
  it('takes the procedure at the unit, else the unit, else none', () => {
    expect(projectionShare(history, 'P', 'A')).toEqual({ share: 0.8, basis: 'procedure' });
    expect(projectionShare(history, 'C', 'A')).toEqual({ share: 0.5, basis: 'unit' });
    expect(projectionShare(history, 'G', 'B')).toEqual({ share: 0, basis: 'none' });
  });
});

describe('outlookOf', () => {
  it('rolls a unit up with its sub-units at any depth and scores progress, 5.4 and the total', () => {
    const o = outlookOf({
      unit: 'P',
      progress: { numerator: 29, denominator: 32 },
      dossierSatisfaction: { numerator: 27, denominator: 32 },
      total: { hundredths: 6120, maxPoints: 70 },
      cells,
      history,
    });
    // At stake 2 + 3 + 4; expected on time 2 × 0.8 + 3 × 0.5 + 4 × 0 = 3.1, so 3.
    expect(o).toMatchObject({ atStake: 9, waitingApplicant: 1, overdue: 3, projectedOnTime: 3 });
    expect(o.basis).toEqual({ procedure: 2, unit: 3, none: 4 });
    // Progress: 20 × 29/32 = 18.125 → 18.13; 20 × 20/32 = 12.50; 20 × 23/32 = 14.375 → 14.38.
    expect(o.progress).toEqual({
      maxScore: 20,
      now: { numerator: 29, denominator: 32, score: 18.13 },
      ifMissed: { numerator: 20, denominator: 32, score: 12.5 },
      projected: { numerator: 23, denominator: 32, score: 14.38 },
    });
    // 5.4, full at 90%: 6 × (27/32) / 0.9 = 5.625 → 5.63; 6 × (18/32) / 0.9 = 3.75; 6 × (21/32) / 0.9 = 4.375 → 4.38.
    expect(o.dossierSatisfaction).toEqual({
      maxScore: 6,
      now: { numerator: 27, denominator: 32, score: 5.63 },
      ifMissed: { numerator: 18, denominator: 32, score: 3.75 },
      projected: { numerator: 21, denominator: 32, score: 4.38 },
    });
    // Total: 61.20 − (18.13 − 12.50) − (5.63 − 3.75) = 53.69; 61.20 − 3.75 − 1.25 = 56.20.
    expect(o.total).toEqual({ maxScore: 70, now: 61.2, ifMissed: 53.69, projected: 56.2 });
  });

  it('scores a sub-unit from its own part of the tree only', () => {
    const o = outlookOf({
      unit: 'C',
      progress: { numerator: 10, denominator: 12 },
      dossierSatisfaction: null,
      total: null,
      cells,
      history,
    });
    // C's 3 at 0.5 and G's 4 at 0: 1.5, rounded half up to 2.
    expect(o).toMatchObject({ atStake: 7, overdue: 2, waitingApplicant: 0, projectedOnTime: 2 });
    // 20 × 10/12 = 16.666… → 16.67; 20 × 3/12 = 5.00; 20 × 5/12 = 8.333… → 8.33.
    expect(o.progress?.now.score).toBe(16.67);
    expect(o.progress?.ifMissed.score).toBe(5);
    expect(o.progress?.projected.score).toBe(8.33);
    expect(o.dossierSatisfaction).toBeNull();
    expect(o.total).toBeNull();
  });

  it('takes every unit for the city, and never counts below zero on time', () => {
    const o = outlookOf({
      unit: null,
      progress: { numerator: 10, denominator: 40 },
      dossierSatisfaction: { numerator: 0, denominator: 0 },
      total: { hundredths: 500, maxPoints: 70 },
      cells,
      history,
    });
    expect(o).toMatchObject({ atStake: 14, projectedOnTime: 3 });
    expect(o.basis).toEqual({ procedure: 2, unit: 3, none: 9 });
    // 10 − 14 clamps at 0: 0.00; projected 0 + 3 = 3 of 40: 20 × 3/40 = 1.50; now 20 × 10/40 = 5.00.
    expect(o.progress?.ifMissed).toEqual({ numerator: 0, denominator: 40, score: 0 });
    expect(o.progress?.projected.score).toBe(1.5);
    // A zero denominator scores 0 for 5.4 at every step; the total moves with progress only.
    expect(o.dossierSatisfaction?.projected.score).toBe(0);
    expect(o.total).toEqual({ maxScore: 70, now: 5, ifMissed: 0, projected: 1.5 });
  });

  it('has nothing at stake and the scores unchanged without open dossiers', () => {
    const o = outlookOf({
      unit: 'Z',
      progress: { numerator: 3, denominator: 4 },
      dossierSatisfaction: null,
      total: null,
      cells,
      history,
    });
    expect(o.atStake).toBe(0);
    expect(o.progress?.ifMissed.score).toBe(15);
    expect(o.progress?.projected.score).toBe(15);
  });
});
