import { describe, expect, it } from 'vitest';
import { COMPONENTS, componentById, GROUPS, TOTAL_POINTS } from '../src/index766/components.ts';
import {
  componentHundredths,
  exactHundredths,
  percentFirstHundredths,
  scorecard,
  toFixedHundredths,
  totalScore,
} from '../src/index766/score.ts';

const r = (numerator: number, denominator: number) => ({ numerator, denominator });
const score = (id: string, numerator: number, denominator: number) =>
  componentHundredths(componentById(id), r(numerator, denominator));

describe('Decision 766 weights', () => {
  it('six groups of 18, 20, 12, 10, 18 and 22 points make 100, each the sum of its components', () => {
    expect(GROUPS.map((g) => g.points)).toEqual([18, 20, 12, 10, 18, 22]);
    expect(GROUPS.reduce((s, g) => s + g.points, 0)).toBe(TOTAL_POINTS);
    for (const g of GROUPS) {
      const parts = COMPONENTS.filter((c) => c.group === g.id);
      expect(
        parts.reduce((s, c) => s + c.points, 0),
        g.id,
      ).toBe(g.points);
    }
  });

  it('names every component index766.<group>.<component>; progress and the group totals keep their names', () => {
    for (const c of COMPONENTS) {
      if (c.id === 'index766.progress') continue;
      expect(c.id.startsWith(`index766.${c.group}.`), c.id).toBe(true);
    }
    expect(GROUPS.map((g) => g.kpi)).toContain('index766.online_payment');
    expect(GROUPS.map((g) => g.kpi)).toContain('index766.progress');
    expect(new Set(COMPONENTS.map((c) => c.id)).size).toBe(COMPONENTS.length);
  });
});

describe('rounding', () => {
  it('rounds the exact ratio’s score, ties up (20 × 29/32 = 18.125 is published as 18.13)', () => {
    expect(exactHundredths(20, r(1, 1), r(29, 32))).toBe(1813);
    expect(score('index766.progress', 29, 32)).toBe(1813);
    // 6 × 1/8 = 0.75 exactly; 6 × 1/3 = 1.999… → 2.00; 4 × 1/3 = 1.333… → 1.33.
    expect(score('index766.digitization.e_result', 1, 8)).toBe(75);
    expect(score('index766.digitization.e_result', 1, 3)).toBe(200);
    expect(score('index766.digitization.digitized_dossiers', 1, 3)).toBe(133);
  });

  it('digitization: 552 of 710 dossiers is published as 4.66 (exact), not 4.67 (percentage first)', () => {
    expect(score('index766.digitization.e_result', 552, 710)).toBe(466);
    expect(percentFirstHundredths(6, r(1, 1), r(552, 710))).toBe(467);
  });

  it('online payment: each part rounded as toFixed on doubles (A = 6 × 65.75% = 3.945 is a double below the tie: 3.94)', () => {
    expect(toFixedHundredths(3.945)).toBe(394);
    expect(toFixedHundredths(4.665)).toBe(467);
    expect(toFixedHundredths(0.125)).toBe(13);
    // 263 of 400 = 65.75%.
    expect(score('index766.online_payment.dossiers_paid', 263, 400)).toBe(394);
    expect(exactHundredths(6, r(1, 1), r(263, 400))).toBe(395);
    // H44.197's published 5.19 = 3.94 + 0.55 + 0.70: B = 22% (2.5 × 22% = 0.55), C = 28% (0.70).
    const b = score('index766.online_payment.procedures_with_fee', 11, 50);
    const c = score('index766.online_payment.procedures_paid', 7, 25);
    expect([b, c]).toEqual([55, 70]);
    expect(394 + (b ?? 0) + (c ?? 0)).toBe(519);
  });

  it('the percentage is itself rounded to two decimals first (1 of 3 → 33.33%, 2.5 × 33.33% = 0.83325 → 0.83)', () => {
    expect(score('index766.online_payment.procedures_with_fee', 1, 3)).toBe(83);
    expect(score('index766.online_payment.dossiers_paid', 1, 3)).toBe(200);
    expect(score('index766.online_payment.dossiers_paid', 2, 3)).toBe(400);
  });
});

describe('shapes and caps', () => {
  it('linear: P × ratio', () => {
    expect(score('index766.transparency.synchronised', 3, 4)).toBe(450);
    expect(score('index766.digitization.shared', 1, 10)).toBe(40);
  });

  it('full at a threshold: 3.1 and 4.3 full from 80%, 3.3 from 50%, 5.4 from 90%, B and C from 80%', () => {
    expect(score('index766.online_service.procedures_online', 4, 5)).toBe(200);
    expect(score('index766.online_service.procedures_online', 3, 5)).toBe(150);
    expect(score('index766.digitization.reuse', 9, 10)).toBe(200);
    expect(score('index766.digitization.reuse', 2, 5)).toBe(100);
    expect(score('index766.online_service.online_dossiers', 1, 2)).toBe(600);
    expect(score('index766.online_service.online_dossiers', 1, 4)).toBe(300);
    expect(score('index766.online_service.online_dossiers', 1, 3)).toBe(400);
    expect(score('index766.satisfaction.dossier_satisfaction', 9, 10)).toBe(600);
    expect(score('index766.satisfaction.dossier_satisfaction', 45, 100)).toBe(300);
    // 5.4 at 85 of 100: 6 × 0.85 / 0.9 = 5.666… → 5.67.
    expect(score('index766.satisfaction.dossier_satisfaction', 85, 100)).toBe(567);
    expect(score('index766.online_payment.procedures_paid', 4, 5)).toBe(200);
    expect(score('index766.online_payment.procedures_paid', 9, 10)).toBe(200);
    expect(score('index766.online_payment.procedures_paid', 1, 5)).toBe(50);
  });
});

describe('zero denominators', () => {
  it('score 0 for progress, the three payment parts and dossier satisfaction', () => {
    for (const id of [
      'index766.progress',
      'index766.online_payment.dossiers_paid',
      'index766.online_payment.procedures_with_fee',
      'index766.online_payment.procedures_paid',
      'index766.satisfaction.dossier_satisfaction',
    ]) {
      expect(score(id, 0, 0), id).toBe(0);
    }
  });

  it('score the full 6 for the petition components when there were no petitions', () => {
    expect(score('index766.satisfaction.petitions_on_time', 0, 0)).toBe(600);
    expect(score('index766.satisfaction.petition_satisfaction', 0, 0)).toBe(600);
  });

  it('give NULL for transparency, online services and digitization, counted as 0 in the group', () => {
    for (const c of COMPONENTS.filter((x) =>
      ['transparency', 'online_service', 'digitization'].includes(x.group),
    )) {
      expect(score(c.id, 0, 0), c.id).toBeNull();
    }
    const total = totalScore(COMPONENTS.map((c) => ({ id: c.id, hundredths: null, hasData: true })));
    expect(total.groups.find((g) => g.group === 'digitization')).toMatchObject({
      hundredths: 0,
      maxPoints: 22,
    });
  });

  it('a unit with no dossiers but one fee-bearing procedure scores 0.00 for payment, not NULL', () => {
    const rows = scorecard({
      ratios: {
        'index766.online_payment.dossiers_paid': r(0, 0),
        'index766.online_payment.procedures_with_fee': r(0, 1),
        'index766.online_payment.procedures_paid': r(0, 1),
      },
    });
    expect(rows.find((x) => x.kpi === 'index766.online_payment')).toMatchObject({ score: 0, maxScore: 10 });
  });
});

describe('groups and the total', () => {
  const full = (id: string) => r(id.includes('online_payment') || id.includes('procedures') ? 5 : 10, 10);

  it('a group is the sum of its components’ rounded scores, not a rounded sum', () => {
    // 2.5 × 1/3 → 0.83 twice, and A 1/3 → 2.00: 3.66 (the sum of exact parts would round to 3.67).
    const rows = scorecard({
      ratios: {
        'index766.online_payment.dossiers_paid': r(1, 3),
        'index766.online_payment.procedures_with_fee': r(1, 3),
        'index766.online_payment.procedures_paid': r(1, 3),
      },
    });
    expect(rows.find((x) => x.kpi === 'index766.online_payment')).toMatchObject({
      score: 3.66,
      numerator: 366,
      denominator: 1000,
      maxScore: 10,
    });
  });

  it('without loaded figures the total covers 74 of the 100 points and names what is missing', () => {
    const ratios = Object.fromEntries(COMPONENTS.map((c) => [c.id, full(c.id)]));
    const rows = scorecard({ ratios });
    const total = rows.find((x) => x.kpi === 'index766.total');
    // Missing: 1.1 (6), 1.2 (4), 1.3 (2), 5.2 (6), 5.3 (6), e-certified copies (2) = 26; 100 − 26 = 74.
    expect(total?.maxScore).toBe(74);
    expect(total?.note).toBe('no_external_figures: 1.1, 1.2, 1.3, 5.2, 5.3, 4.e');
    expect(rows.find((x) => x.kpi === 'index766.transparency.published_on_time')).toMatchObject({
      score: null,
      maxScore: 6,
      note: 'no_external_figures',
    });
    expect(rows.find((x) => x.kpi === 'index766.transparency')).toMatchObject({ maxScore: 6 });
  });

  it('loaded figures enter the groups and the total; the national count can raise the 1.4 denominator', () => {
    const ratios = Object.fromEntries(COMPONENTS.map((c) => [c.id, r(1, 1)]));
    ratios['index766.transparency.synchronised'] = r(90, 100);
    ratios['index766.online_service.online_dossiers'] = r(60, 100);
    const figures = Object.fromEntries(
      COMPONENTS.filter((c) => c.source === 'external').map((c) => [c.id, r(1, 2)]),
    );
    figures['index766.satisfaction.petitions_on_time'] = r(0, 0);
    const rows = scorecard({ ratios, figures, nationalReceived: 120, petitionedDossiers: 0 });
    const get = (kpi: string) => rows.find((x) => x.kpi === kpi);
    // 1.4: 90 / max(100, 120) = 0.75 → 4.50; 3.3: 0.6 × 0.75 = 0.45 of 50% → 5.40.
    expect(get('index766.transparency.synchronised')).toMatchObject({
      numerator: 90,
      denominator: 120,
      score: 4.5,
    });
    expect(get('index766.online_service.online_dossiers')).toMatchObject({
      numerator: 60,
      denominator: 100,
      score: 5.4,
    });
    // 1.1 3.00 + 1.2 2.00 + 1.3 1.00 + 1.4 4.50.
    expect(get('index766.transparency')).toMatchObject({ score: 10.5, maxScore: 18, note: '' });
    // 5.2 no petitions: full 6; 5.3 3.00; 5.4 6.
    expect(get('index766.satisfaction')).toMatchObject({ score: 15, maxScore: 18 });
    expect(get('index766.total')).toMatchObject({ maxScore: 100, note: '' });
  });

  it('petitioned dossiers leave the 5.4 numerator (never below 0)', () => {
    const rows = scorecard({
      ratios: { 'index766.satisfaction.dossier_satisfaction': r(80, 100) },
      petitionedDossiers: 8,
    });
    // 72 / 100 of 90% → 6 × 0.8 = 4.80.
    expect(rows.find((x) => x.kpi === 'index766.satisfaction.dossier_satisfaction')).toMatchObject({
      numerator: 72,
      score: 4.8,
    });
    const many = scorecard({
      ratios: { 'index766.satisfaction.dossier_satisfaction': r(3, 100) },
      petitionedDossiers: 8,
    });
    expect(many.find((x) => x.kpi === 'index766.satisfaction.dossier_satisfaction')).toMatchObject({
      numerator: 0,
      score: 0,
    });
  });
});
