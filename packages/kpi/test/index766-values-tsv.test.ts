import { describe, expect, it } from 'vitest';
import { VALUE_COLUMNS, type ValueRow, valueRowsTsv } from '../src/index766/value-rows.ts';

const row: ValueRow = {
  kpi: 'index766.progress',
  scope_kind: 'agency',
  scope_code: 'A\tB\\C\nD',
  period_kind: 'month',
  period_start: '2026-03-01',
  numerator: 3,
  denominator: 7,
  score_override: 0.07,
  max_score_override: 2.5,
  reason: '',
  scope_rows: 12,
};

describe('staged Decision 766 values as TabSeparated', () => {
  it('escapes what TabSeparated reads specially, writes NULL as \\N and numbers as JSON does', () => {
    const text = valueRowsTsv('v:1', [row, { ...row, score_override: null, reason: 'zero_denominator' }]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const fields = lines[0]!.split('\t');
    expect(fields).toHaveLength(VALUE_COLUMNS.length + 1);
    expect(fields[0]).toBe('v:1');
    expect(fields[3]).toBe('A\\tB\\\\C\\nD');
    expect(fields.slice(6)).toEqual(['3', '7', JSON.stringify(0.07), '2.5', '', '12']);
    expect(lines[1]!.split('\t').slice(8, 11)).toEqual(['\\N', '2.5', 'zero_denominator']);
  });
});
