import { describe, expect, it } from 'vitest';
import {
  INDEX766_COMPONENTS,
  KPI_CATALOG,
  KPI_IDS,
  ratio,
  selectKpis,
  targetFor,
  targetMet,
  targetRuleParams,
} from '../src/index.ts';

const city = { kind: 'city', code: '' } as const;

describe('the KPI catalog', () => {
  it('holds the 8 programme KPIs, then every Decision 766 component, group and total, each with names and SQL', () => {
    expect(KPI_IDS.slice(0, 8)).toEqual([
      'online_service_coverage',
      'national_portal_integration',
      'online_resolution_rate',
      'online_payment_coverage',
      'online_payment_rate',
      'satisfaction_rate',
      'digitization_rate',
      'on_time_rate',
    ]);
    expect(KPI_IDS.slice(8)).toEqual([
      ...INDEX766_COMPONENTS.map((c) => c.id),
      'index766.transparency',
      'index766.online_service',
      'index766.online_payment',
      'index766.satisfaction',
      'index766.digitization',
      'index766.total',
    ]);
    expect(KPI_CATALOG.filter((k) => k.source !== 'index766').every((k) => k.sql)).toBe(true);
    for (const kpi of KPI_CATALOG) {
      expect(kpi.name.vi.length).toBeGreaterThan(0);
      expect(kpi.name.en.length).toBeGreaterThan(0);
      expect(kpi.sql?.numerator ?? '').not.toContain('{');
    }
  });

  it('rejects unknown ids, listing them', () => {
    expect(() => selectKpis(['on_time_rate', 'nope', 'nada'])).toThrow('unknown KPI id(s): nope, nada');
    expect(selectKpis(['on_time_rate']).map((k) => k.id)).toEqual(['on_time_rate']);
  });
});

describe('targetFor', () => {
  it('takes the target of the phase the period starts in', () => {
    expect(targetFor('online_resolution_rate', '2025-12-01', city)).toEqual({
      value: 0.5,
      comparator: 'gt',
      phase: 1,
    });
    expect(targetFor('online_resolution_rate', '2026-01-01', city)).toEqual({
      value: 0.8,
      comparator: 'gt',
      phase: 2,
    });
    expect(targetFor('national_portal_integration', '2025-01-01', city)?.comparator).toBe('gte');
    expect(targetFor('national_portal_integration', '2026-01-01', city)?.comparator).toBe('gt');
  });

  it('has no target where the plan sets none', () => {
    expect(targetFor('online_payment_rate', '2025-06-01', city)).toBeNull();
    expect(targetFor('online_payment_rate', '2027-06-01', city)?.value).toBe(0.5);
    expect(targetFor('on_time_rate', '2025-06-01', city)).toBeNull();
    expect(targetFor('online_resolution_rate', '2020-06-01', city)).toBeNull();
  });

  it('gives land, construction and investment fields 90% satisfaction in phase 1, 95% elsewhere', () => {
    expect(targetFor('satisfaction_rate', '2024-01-01', { kind: 'field', code: 'G13-TN02' })?.value).toBe(
      0.9,
    );
    expect(targetFor('satisfaction_rate', '2024-01-01', { kind: 'field', code: 'G17-XD08' })?.value).toBe(
      0.9,
    );
    expect(targetFor('satisfaction_rate', '2024-01-01', { kind: 'field', code: 'G01-CA05' })?.value).toBe(
      0.95,
    );
    expect(targetFor('satisfaction_rate', '2024-01-01', city)?.value).toBe(0.95);
    expect(targetFor('satisfaction_rate', '2026-01-01', { kind: 'field', code: 'G13-TN02' })?.value).toBe(
      0.95,
    );
  });

  it('sets digitization targets for 2022 by administrative level only', () => {
    const level = (code: string) => ({ kind: 'admin_level', code }) as const;
    expect(targetFor('digitization_rate', '2022-04-01', level('province'))?.value).toBe(0.3);
    expect(targetFor('digitization_rate', '2022-04-01', level('district'))?.value).toBe(0.2);
    expect(targetFor('digitization_rate', '2022-04-01', level('commune'))?.value).toBe(0.15);
    expect(targetFor('digitization_rate', '2022-04-01', city)).toBeNull();
    expect(targetFor('digitization_rate', '2023-04-01', level('province'))).toBeNull();
  });
});

describe('targetMet and ratio', () => {
  const gt = { value: 0.5, comparator: 'gt', phase: 1 } as const;
  const gte = { value: 0.8, comparator: 'gte', phase: 1 } as const;

  it('compares strictly or not, as the rule says', () => {
    expect(targetMet(0.5, gt)).toBe(0);
    expect(targetMet(0.5000001, gt)).toBe(1);
    expect(targetMet(0.8, gte)).toBe(1);
    expect(targetMet(4 / 5, gte)).toBe(1);
    expect(targetMet(0.79, gte)).toBe(0);
  });

  it('is null when the value or the target is missing', () => {
    expect(targetMet(null, gt)).toBeNull();
    expect(targetMet(0.9, null)).toBeNull();
    expect(ratio(0, 0)).toBeNull();
    expect(ratio(0, 3)).toBe(0);
    expect(ratio(2, 3)).toBeCloseTo(0.6667, 4);
  });
});

describe('targetRuleParams', () => {
  it('flattens rules in first-match order, one row per code prefix', () => {
    const params = targetRuleParams(['satisfaction_rate']);
    expect(params.t_kpi).toHaveLength(6);
    expect(params.t_code_prefix.slice(0, 4)).toEqual(['G13-TN02', 'G17-XD', 'G05-KD03', 'G05-KD05']);
    expect(params.t_value).toEqual([0.9, 0.9, 0.9, 0.9, 0.95, 0.95]);
    expect(params.t_from[5]).toBe('2026-01-01');
    expect(params.t_strict.every((s) => s === 1)).toBe(true);
  });
});
