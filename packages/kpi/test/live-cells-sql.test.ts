// The live cells' statement (sql/live-cells.sql.ts liveCellsSql) and the settled rows across one midnight
// (settledAtMidnightCellsSql) name each aggregate once and leave out those that can only count 0, as a day's
// cells do (cellsSql); countsNothing must recognize only conditions that are 0 whatever their rows.
import { describe, expect, it } from 'vitest';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { PERIOD_KINDS } from '../src/periods.ts';
import { cellsSql } from '../src/sql/cells.sql.ts';
import { countsNothing } from '../src/sql/counters.sql.ts';
import { liveCellsSql, settledAtMidnightCellsSql, sharedFlagsAt } from '../src/sql/live-cells.sql.ts';
import { stageLiveScopesSql } from '../src/sql/live-scopes.sql.ts';

describe('countsNothing', () => {
  it('recognizes a conjunction with the constant 0, parentheses and string literals included', () => {
    expect(countsNothing('countIf(0 AND in_population)')).toBe(true);
    expect(countsNothing("countIf(in_received AND 0 AND channel = 'online')")).toBe(true);
    expect(countsNothing('countIf(0 AND NOT (fee_known = 1 AND fee_positive = 0))')).toBe(true);
    expect(countsNothing("countIf(0 AND channel = ') OR (1')")).toBe(true);
  });

  it('leaves alone what can count rows', () => {
    expect(countsNothing('countIf(1 AND in_population)')).toBe(false);
    expect(countsNothing('countIf(0 AND a OR b)')).toBe(false);
    expect(countsNothing('countIf(x BETWEEN 1 AND 0)')).toBe(false);
    expect(countsNothing('countIf((0 OR b) AND c)')).toBe(false);
    expect(countsNothing('countIf(a = 0)')).toBe(false);
    expect(countsNothing("countIf(channel = '0' AND a)")).toBe(false);
    expect(countsNothing('count()')).toBe(false);
    expect(countsNothing('sumIf(x, 0 AND a)')).toBe(false);
  });
});

describe('liveCellsSql', () => {
  const sql = liveCellsSql(PERIOD_KINDS, dossierCellLayout(), 'SELECT 1');
  const aggregates = [...sql.matchAll(/\bcount(?:If)?\((?:[^()]|\([^()]*\))*\)/g)].map((m) => m[0]);

  it('names each aggregate once', () => {
    expect(aggregates.length).toBeGreaterThan(0);
    expect(new Set(aggregates).size).toBe(aggregates.length);
  });

  it("aggregates no counter of a dossier finished in its period, nor a day's Decision 766 counter", () => {
    expect(sql).not.toMatch(/\bin_finished\b[^,]*\)\)/);
    expect(aggregates.filter((a) => countsNothing(a))).toEqual([]);
    expect(aggregates.some((a) => /\bin_received_day\b/.test(a) && /\baccepted\b/.test(a))).toBe(false);
  });
});

describe('liveCellsSql on a day when periods begin together', () => {
  const named = (now?: string) => {
    const flags = now === undefined ? {} : sharedFlagsAt(PERIOD_KINDS, now);
    return (liveCellsSql(PERIOD_KINDS, dossierCellLayout(), 'SELECT 1', flags).match(/ AS agg_\d+/g) ?? [])
      .length;
  };

  it("reads the longest kind's flags where every kind's period begins with it: the city's new year", () => {
    // 2027-01-01 00:01 in the city (UTC+7).
    expect(sharedFlagsAt(PERIOD_KINDS, '2026-12-31 17:01:00.000')).toEqual({
      day: 'year',
      month: 'year',
      quarter: 'year',
    });
    expect(named('2026-12-31 17:01:00.000')).toBeLessThan(named() / 2);
  });

  it('shares only the flags of periods that begin on the same day', () => {
    expect(sharedFlagsAt(PERIOD_KINDS, '2026-11-30 17:02:00.000')).toEqual({ day: 'month' });
    expect(sharedFlagsAt(PERIOD_KINDS, '2026-11-26 17:05:00.000')).toEqual({});
    expect(named('2026-11-26 17:05:00.000')).toBe(named());
    // Without the year among the kinds, the quarter's are read.
    expect(sharedFlagsAt(['day', 'month', 'quarter'], '2026-12-31 17:01:00.000')).toEqual({
      day: 'quarter',
      month: 'quarter',
    });
  });
});

describe('settledAtMidnightCellsSql', () => {
  const sql = settledAtMidnightCellsSql(PERIOD_KINDS, dossierCellLayout(), 'kpi_open_facts_v1 FINAL');
  const aggregates = [...sql.matchAll(/\bcount(?:If)?\((?:[^()]|\([^()]*\))*\)/g)].map((m) => m[0]);

  it('names each aggregate once, none that can only count 0, and keeps the rows finished in their period', () => {
    expect(new Set(aggregates).size).toBe(aggregates.length);
    expect(aggregates.filter((a) => countsNothing(a))).toEqual([]);
    expect(aggregates.some((a) => /\bin_finished\b/.test(a))).toBe(true);
    expect(sql).toMatch(/WHERE NOT live\n/);
  });

  it("groups by the day and reads each kind's flags against the kind's period of that day", () => {
    expect(sql).toMatch(/GROUP BY period_start, admin_level, agency_code, field_code, procedure_code\n/);
    expect(sql).toContain("('quarter', toStartOfQuarter(period_start), [");
    expect(sql).toContain('toStartOfYear(toDate(start_at, ');
  });
});

describe('cellsSql of days', () => {
  const layout = dossierCellLayout();
  const text = (kind: 'day' | 'months') => cellsSql(kind, layout, 'SELECT 1', 'NOT live');

  it("writes a day's Decision 766 and per-procedure counters as 0 instead of aggregating them", () => {
    const day = text('day');
    const zeros = layout.columns.filter((c) => day.includes(`toInt64(0) AS ${c}`));
    expect(zeros).toEqual(
      layout.columns.filter((_, i) => /\bindex766_period\b/.test(layout.aggregates[i] ?? '')),
    );
    expect(zeros.length).toBeGreaterThan(0);
    expect(cellsSql('day', layout, 'SELECT 1', 'NOT live', true)).toContain(`toInt64(0) AS ${zeros[0]}`);
    expect(text('months')).not.toContain('toInt64(0) AS');
  });
});

describe('stageLiveScopesSql', () => {
  it('sums each scope kind as a grouping set of the live cells, not a copy of every cell per scope', () => {
    const sql = stageLiveScopesSql(dossierCellLayout());
    expect(sql).toContain('GROUP BY GROUPING SETS ((period_kind, period_start), ');
    expect(sql).not.toContain('ARRAY JOIN');
  });
});
