import { describe, expect, it } from 'vitest';
import { LoadRefused, parseLoad, planLoad } from '../src/index766/external-load.ts';

const HEADER = 'scope_kind,scope_code,period_kind,period_start,figure,numerator,denominator';
const A = 'city,,month,2026-11-01,index766.transparency.full_content,10,12';
const B = 'agency,H29.105,month,2026-11-01,national_reporting.received,1532,0';
const BAD = 'city,,month,2026-11-01,index766.transparency.full_content,13,12';
const NOW = new Date('2026-12-03T10:15:00.123Z');
const SOURCE = 'DVCQG, 2026-12-03';

describe('planning a load of external figures', () => {
  it('sends changed figures keyed and rejected lines unkeyed, in line order, and leaves out unchanged ones', () => {
    const parsed = parseLoad(`${HEADER}\n${A}\n${BAD.replace('city,', 'agency,H29.01')}\n${B}\n`);
    const effective = new Map([
      [
        'city||month|2026-11-01|index766.transparency.full_content|',
        { numerator: 10, denominator: 12, source: SOURCE },
      ],
    ]);
    const plan = planLoad(parsed, SOURCE, effective, NOW);
    expect(plan).toMatchObject({ lines: 3, changed: 1, unchanged: 1, loadedAt: '2026-12-03T10:15:00.123Z' });
    expect(plan.rejected).toEqual([
      { line: 3, reason: 'line 3: numerator: expected at most the denominator (12)' },
    ]);
    expect(plan.messages.map((m) => m.key)).toEqual([
      null,
      'agency|H29.105|month|2026-11-01|national_reporting.received|',
    ]);
    const value = JSON.parse(String(plan.messages[1]?.value));
    expect(value).toEqual({
      load_id: plan.loadId,
      source: SOURCE,
      loaded_at: plan.loadedAt,
      header: HEADER,
      line: 4,
      text: B,
    });
  });

  it('sends a figure again when only its source changed, or when it returns to an earlier value', () => {
    const parsed = parseLoad(`${HEADER}\n${A}\n`);
    const other = new Map([
      [
        'city||month|2026-11-01|index766.transparency.full_content|',
        { numerator: 10, denominator: 12, source: 'other' },
      ],
    ]);
    expect(planLoad(parsed, SOURCE, other, NOW).changed).toBe(1);
    const corrected = new Map([
      [
        'city||month|2026-11-01|index766.transparency.full_content|',
        { numerator: 11, denominator: 12, source: SOURCE },
      ],
    ]);
    expect(planLoad(parsed, SOURCE, corrected, NOW).changed).toBe(1);
  });

  it('refuses a file giving one figure twice, naming both lines', () => {
    expect(() => parseLoad(`${HEADER}\n${A}\n${B}\n${A.replace(',10,', ',9,')}\n`)).toThrow(LoadRefused);
    expect(() => parseLoad(`${HEADER}\n${A}\n${B}\n${A}\n`)).toThrow('line 4 repeats the figure of line 2');
  });
});
