// The crossed dossiers' signed live cells (sql/crossed.sql.ts): every counter is a count summed as the rows'
// signs; a layout with another aggregate is refused rather than counted wrong.
import { describe, expect, it } from 'vitest';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { PERIOD_KINDS } from '../src/periods.ts';
import type { CellLayout } from '../src/sql/cells.sql.ts';
import { stageCrossedCellsSql } from '../src/sql/crossed.sql.ts';

const layoutOf = (aggregates: string[]): CellLayout => {
  const columns = aggregates.map((_, i) => `c${String(i + 1).padStart(2, '0')}`);
  return { keys: columns, columns, aggregates, at: (key) => key };
};

describe('stageCrossedCellsSql', () => {
  it("sums the signs of the catalog's counters, every one a count", () => {
    const layout = dossierCellLayout();
    for (const changed of [false, true]) {
      const text = stageCrossedCellsSql(PERIOD_KINDS, layout, changed);
      for (const column of layout.columns) expect(text).toMatch(new RegExp(`\\) AS sum_${column}\\b`));
      expect(text).not.toMatch(/countIf\(/);
    }
  });

  it('writes count() as the sum of signs and countIf(c) as a sum of signs where c', () => {
    const text = stageCrossedCellsSql(['day'], layoutOf(['count()', 'countIf(in_received AND on_time)']));
    expect(text).toContain('sum(toInt64(sign)) AS sum_c01');
    expect(text).toContain('sumIf(toInt64(sign), in_received_of_kind AND on_time) AS sum_c02');
  });

  it('refuses a counter that is not one count', () => {
    for (const aggregate of ['sum(fee_positive)', 'countIf(on_time) + countIf(in_received)', 'countIf(a))']) {
      expect(() => stageCrossedCellsSql(['day'], layoutOf(['count()', aggregate]))).toThrow(
        /c02.*not a count/,
      );
    }
  });
});
