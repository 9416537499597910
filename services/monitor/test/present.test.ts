import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '../src/kpi-catalog.ts';
import {
  EMPTY_CATALOG,
  formatNumber,
  formatPercent,
  kpiName,
  kpiStatus,
  orderKpis,
  phaseInfo,
  targetText,
  trendStart,
} from '../src/present.ts';

describe('phaseInfo', () => {
  it.each([
    ['2021-01-01', 1, '2021–2025'],
    ['2025-12-01', 1, '2021–2025'],
    ['2026-01-01', 2, '2026–2030'],
    ['2030-10-01', 2, '2026–2030'],
    ['2020-12-01', null, null],
    ['2031-01-01', null, null],
  ])('%s is phase %s', (start, phase, years) => {
    expect(phaseInfo(start)).toEqual({ phase, years });
  });
});

describe('formatting', () => {
  it('formats ratios as percent per language and a missing value as a dash', () => {
    expect(formatPercent(0.825, 'vi')).toBe('82,5%');
    expect(formatPercent(0.825, 'en')).toBe('82.5%');
    expect(formatPercent(1, 'vi')).toBe('100%');
    expect(formatPercent(null, 'vi')).toBe('—');
    expect(formatPercent(Number.NaN, 'en')).toBe('—');
    expect(formatNumber(12345, 'vi')).toBe('12.345');
    expect(formatNumber(12345, 'en')).toBe('12,345');
  });

  it('writes the target with its comparator', () => {
    expect(targetText(0.8, 'gt', 'vi')).toBe('> 80%');
    expect(targetText(0.8, 'gte', 'en')).toBe('≥ 80%');
    expect(targetText(0.95, null, 'en')).toBe('95%');
    expect(targetText(null, 'gt', 'vi')).toBeNull();
  });
});

describe('kpiStatus', () => {
  it('shows what the aggregator decided and distinguishes no data from no target', () => {
    expect(kpiStatus({ value: 0.9, target: 0.8, target_met: 1 })).toBe('met');
    expect(kpiStatus({ value: 0.7, target: 0.8, target_met: 0 })).toBe('not_met');
    expect(kpiStatus({ value: 0.7, target: null, target_met: null })).toBe('no_target');
    expect(kpiStatus({ value: null, target: 0.8, target_met: null })).toBe('no_data');
  });
});

describe('KPI catalog view', () => {
  const catalog = defaultCatalog();

  it('orders by the catalog, unknown KPIs last and alphabetically', () => {
    const rows = ['zeta', 'on_time_rate', 'alpha', 'online_service_coverage'].map((kpi) => ({ kpi }));
    expect(orderKpis(rows, catalog).map((r) => r.kpi)).toEqual([
      'online_service_coverage',
      'on_time_rate',
      'alpha',
      'zeta',
    ]);
    expect(orderKpis(rows, EMPTY_CATALOG).map((r) => r.kpi)).toEqual([
      'alpha',
      'on_time_rate',
      'online_service_coverage',
      'zeta',
    ]);
  });

  it('takes the comparator of the target valid for the period (≥ in phase 1, > in phase 2)', () => {
    const city = { kind: 'city', code: 'H29' };
    expect(catalog.comparator('national_portal_integration', '2024-05-01', city)).toBe('gte');
    expect(catalog.comparator('national_portal_integration', '2027-05-01', city)).toBe('gt');
    expect(catalog.comparator('on_time_rate', '2027-05-01', city)).toBeNull();
    expect(catalog.comparator('unknown', '2027-05-01', city)).toBeNull();
    expect(
      catalog.comparator('national_portal_integration', '2027-05-01', { kind: 'planet', code: 'x' }),
    ).toBeNull();
  });

  it('names KPIs in both languages and falls back to the id', () => {
    expect(kpiName('on_time_rate', catalog, 'vi')).not.toBe(kpiName('on_time_rate', catalog, 'en'));
    expect(kpiName('not_in_catalog', catalog, 'vi')).toBe('not_in_catalog');
  });
});

describe('trendStart', () => {
  it('goes back whole months from the current one', () => {
    expect(trendStart(new Date('2026-11-26T04:00:00Z'), 24)).toBe('2024-12-01');
    expect(trendStart(new Date('2026-01-31T23:00:00Z'), 1)).toBe('2026-01-01');
    expect(trendStart(new Date('2026-03-15T00:00:00Z'), 3)).toBe('2026-01-01');
  });
});
