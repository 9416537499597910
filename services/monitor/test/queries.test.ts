import { describe, expect, it } from 'vitest';
import { cardsQuery, rankingQuery, trendQuery } from '../src/queries/kpi.queries.ts';

const HOSTILE = "H29'; DROP TABLE kpi_values_v1; --";

describe('KPI query builders', () => {
  it('pass scope values only as parameters', () => {
    const q = cardsQuery({ kind: 'agency', code: HOSTILE }, 'month');
    expect(q.query).not.toContain(HOSTILE);
    expect(q.query).toContain('scope_code = {scopeCode:String}');
    expect(q.query_params).toEqual({ scopeKind: 'agency', scopeCode: HOSTILE, periodKind: 'month' });
  });

  it('do not filter the city by code (the aggregator chooses the city code)', () => {
    const q = cardsQuery({ kind: 'city' }, 'year');
    expect(q.query).not.toContain('scopeCode');
    expect(q.query_params).toEqual({ scopeKind: 'city', periodKind: 'year' });
  });

  it('bound the trend by a date parameter', () => {
    const q = trendQuery({ kind: 'field', code: 'G09-TP' }, '2024-12-01');
    expect(q.query).toContain('period_start >= {from:Date}');
    expect(q.query_params).toMatchObject({ from: '2024-12-01', scopeCode: 'G09-TP' });
  });

  it('filter the ranking by level only when one is chosen', () => {
    expect(rankingQuery({ periodKind: 'month', limit: 10 }).query).not.toContain('adminLevel');
    const q = rankingQuery({ periodKind: 'month', adminLevel: HOSTILE, limit: 10 });
    expect(q.query).not.toContain(HOSTILE);
    expect(q.query_params).toEqual({ periodKind: 'month', adminLevel: HOSTILE, limit: 10 });
  });
});
