import { describe, expect, it } from 'vitest';
import { index766Keyed } from '../src/sql/index766-values.sql.ts';

// When the Decision 766 statement takes its keys filter: the agencies that moved are counted period by
// period against those periods' units, so late data spread thinly over many periods keeps the filter.

describe('index766Keyed', () => {
  it('keeps the filter for late data over many periods, a few agencies each, though most agencies moved', () => {
    // 10M's late data: ~150 periods only touched, 1,000 dossiers, 250 of 300 agencies moved in all.
    expect(index766Keyed({ touched_only: 150, period_agencies: 990, catalog: 300 })).toBe(true);
  });

  it('drops it where every agency moved in each period (1M: 7 periods, all 300 agencies)', () => {
    expect(index766Keyed({ touched_only: 7, period_agencies: 2_100, catalog: 300 })).toBe(false);
  });

  it('drops it at half the periods × agencies, keeps it below', () => {
    expect(index766Keyed({ touched_only: 2, period_agencies: 6, catalog: 6 })).toBe(false);
    expect(index766Keyed({ touched_only: 2, period_agencies: 5, catalog: 6 })).toBe(true);
  });

  it('drops it when no period is only touched (rollovers, catch-up)', () => {
    expect(index766Keyed({ touched_only: 0, period_agencies: 0, catalog: 300 })).toBe(false);
  });
});
