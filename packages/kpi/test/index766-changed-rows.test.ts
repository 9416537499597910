// The Decision 766 running path writes the values it knows to have changed straight to kpi_values_v1
// (index766-running.ts): value-rows.ts changedValueRows says which rows differ from the previous
// generation's and whether that is known whole, write-rows.ts valueWritesTsv writes them as the write
// statement would (value numerator / denominator, no target, the stated score).
import { describe, expect, it } from 'vitest';
import {
  changedValueRows,
  INDEX766_COMMONS,
  index766ValueRows,
  type ScopeInputs,
  type ValueRow,
} from '../src/index766/value-rows.ts';
import { valueWritesTsv } from '../src/index766/write-rows.ts';
import { INDEX766_SETS, INDEX766_SUMS } from '../src/sql/index766-sources.sql.ts';

const SERVICES_USED = 'index766.online_service.services_used';
const PROGRESS = 'index766.progress';

const inputs = (sum: number, commons: number[]): ScopeInputs => ({
  period_kind: 'month',
  period_start: '2026-03-01',
  scope_kind: 'agency',
  scope_code: 'DIST',
  sums: INDEX766_SUMS.map(() => sum),
  sizes: INDEX766_SETS.map(() => 4),
  commons,
  figures: [],
  catalog_size: 10,
});

const same = (a: ScopeInputs) => ({ sums: a.sums, figures: a.figures, catalog_size: a.catalog_size });
const kpis = (rows: { kpi: string }[]) => rows.map((r) => r.kpi);
/** A row's value as the write compares it (not scope_rows). */
const value = (r: ValueRow) =>
  JSON.stringify([r.numerator, r.denominator, r.score_override, r.max_score_override, r.reason]);

describe('changedValueRows', () => {
  const now = inputs(
    7,
    INDEX766_COMMONS.map(() => 2),
  );

  it('knows the changed rows whole when no set moved: those that differ from the previous sums', () => {
    const before = inputs(5, now.commons);
    const changed = changedValueRows(now, same(before), false);
    expect(changed.known).toBe(true);
    const was = index766ValueRows(before);
    const all = index766ValueRows(now);
    expect(changed.rows).toEqual(all.filter((r, i) => value(r) !== value(was[i]!)));
    expect(changed.rows.length).toBeGreaterThan(0);
    expect(kpis(changed.rows)).not.toContain(SERVICES_USED);
    expect(changedValueRows(now, same(now), false)).toEqual({ rows: [], known: true });
  });

  it("with sets moved, scores the previous values on the previous sets' common elements", () => {
    // Only a common element moved (a service used for the first time): its component, group and total.
    const before = { ...same(now), commons: [1, 2, 2, 2] };
    const changed = changedValueRows(now, before, true);
    expect(changed.known).toBe(true);
    expect(kpis(changed.rows)).toContain(SERVICES_USED);
    expect(kpis(changed.rows)).not.toContain(PROGRESS);
    // The same common elements: nothing changed, whatever the sets did.
    expect(changedValueRows(now, { ...same(now), commons: now.commons }, true)).toEqual({
      rows: [],
      known: true,
    });
  });

  it('is not known whole when sets moved and the previous common elements were not read', () => {
    const changed = changedValueRows(now, same(now), true);
    expect(changed.known).toBe(false);
    // The rows that might have moved with the sets are kept, to be compared.
    expect(kpis(changed.rows)).toContain(SERVICES_USED);
  });

  it('is not known without previous inputs or when the previous values had no source row', () => {
    expect(changedValueRows(now, undefined, false)).toEqual({ rows: index766ValueRows(now), known: false });
    const empty = {
      ...inputs(
        0,
        INDEX766_COMMONS.map(() => 0),
      ),
      sizes: INDEX766_SETS.map(() => 0),
    };
    const fromEmpty = changedValueRows({ ...now, sizes: empty.sizes }, same(empty), false);
    expect(fromEmpty.known).toBe(false);
    expect(fromEmpty.rows).toHaveLength(index766ValueRows(now).length);
  });
});

describe('valueWritesTsv', () => {
  it('writes the value as numerator / denominator, no target, the stated score, the run', () => {
    const [row] = index766ValueRows(
      inputs(
        7,
        INDEX766_COMMONS.map(() => 2),
      ),
    );
    const rows = [
      { ...row!, numerator: 1, denominator: 3, score_override: 0.07, max_score_override: 2.5, reason: '' },
      { ...row!, numerator: 0, denominator: 0, score_override: null, reason: 'zero_denominator' },
    ];
    const lines = valueWritesTsv(rows, '2026-03-10 05:30:00.123', 'run-1').split('\n');
    expect(lines).toHaveLength(3);
    const [first, second] = lines.map((l) => l.split('\t'));
    expect(first!.slice(5)).toEqual([
      '1',
      '3',
      String(1 / 3),
      '\\N',
      '\\N',
      '0.07',
      '2.5',
      '',
      '2026-03-10 05:30:00.123',
      'run-1',
    ]);
    expect(Number(first![7])).toBe(1 / 3);
    expect(second!.slice(5, 13)).toEqual([
      '0',
      '0',
      '\\N',
      '\\N',
      '\\N',
      '\\N',
      String(row!.max_score_override),
      'zero_denominator',
    ]);
  });
});
