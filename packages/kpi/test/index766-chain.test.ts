// The chain of tags a running period's Decision 766 inputs are looked up through (index766/stored-inputs.ts):
// from the previous live id down to a tag holding every scope, through markers only.
import { describe, expect, it } from 'vitest';
import { CHAIN_LIMITS, chainOf, type MarkerRow } from '../src/index766/stored-inputs.ts';

const PERIODS = [
  ['month', '2026-03-01'],
  ['year', '2026-01-01'],
] as const;
const WANTED = new Set(PERIODS.map(([kind, start]) => `${kind}|${start}`));

/** A tag's markers for every wanted period. */
const tag = (name: string, parent: string, options: { code?: string; age?: number } = {}): MarkerRow[] =>
  PERIODS.map(([period_kind, period_start]) => ({
    tag: name,
    period_kind,
    period_start,
    code: options.code ?? 'c',
    parent,
    age: String(options.age ?? 60),
  }));

describe('chainOf', () => {
  it('follows parents from the previous live id down to a full tag, nearest first', () => {
    const markers = [...tag('A', ''), ...tag('B', 'A'), ...tag('C', 'B'), ...tag('DEAD', 'C')];
    expect(chainOf(markers, 'C', WANTED, 'c')).toEqual({ tags: ['C', 'B', 'A'], rebase: false });
    expect(chainOf(markers, 'A', WANTED, 'c')).toEqual({ tags: ['A'], rebase: false });
  });

  it('is broken by a missing marker, another code or a period without its marker', () => {
    expect(chainOf([...tag('B', 'A')], 'B', WANTED, 'c')).toBeUndefined();
    expect(chainOf([...tag('A', '', { code: 'old' }), ...tag('B', 'A')], 'B', WANTED, 'c')).toBeUndefined();
    const half = [...tag('A', ''), ...tag('B', 'A').slice(0, 1)];
    expect(chainOf(half, 'B', WANTED, 'c')).toBeUndefined();
    expect(chainOf([...tag('A', ''), ...tag('B', 'A')], 'X', WANTED, 'c')).toBeUndefined();
  });

  it('is broken when a tag names two parents or the parents loop', () => {
    const split = [...tag('A', ''), ...tag('Z', ''), tag('B', 'A')[0]!, tag('B', 'Z')[1]!];
    expect(chainOf(split, 'B', WANTED, 'c')).toBeUndefined();
    expect(chainOf([...tag('A', 'B'), ...tag('B', 'A')], 'B', WANTED, 'c')).toBeUndefined();
  });

  it('asks for every scope again once the chain is long or its full tag old', () => {
    const long = Array.from({ length: CHAIN_LIMITS.tags }, (_, i) =>
      tag(`T${i}`, i === 0 ? '' : `T${i - 1}`),
    );
    const last = `T${CHAIN_LIMITS.tags - 1}`;
    expect(chainOf(long.flat(), last, WANTED, 'c')?.rebase).toBe(true);
    expect(chainOf(long.flat(), `T${CHAIN_LIMITS.tags - 2}`, WANTED, 'c')?.rebase).toBe(false);
    const old = [...tag('A', '', { age: CHAIN_LIMITS.baseAgeS + 1 }), ...tag('B', 'A')];
    expect(chainOf(old, 'B', WANTED, 'c')).toEqual({ tags: ['B', 'A'], rebase: true });
  });

  it('takes the limits it is given', () => {
    const three = [...tag('A', ''), ...tag('B', 'A'), ...tag('C', 'B')];
    expect(chainOf(three, 'C', WANTED, 'c')?.rebase).toBe(false);
    expect(chainOf(three, 'C', WANTED, 'c', { tags: 3, baseAgeS: 3_600 })?.rebase).toBe(true);
    expect(chainOf(three, 'B', WANTED, 'c', { tags: 3, baseAgeS: 59 })?.rebase).toBe(true);
    // Longer than twice the limit: broken.
    const four = [...three, ...tag('D', 'C')];
    expect(chainOf(four, 'D', WANTED, 'c', { tags: 1, baseAgeS: 3_600 })).toBeUndefined();
  });

  it('passes through the tags of markers only, which neither are looked up nor count toward the limit', () => {
    const rowless = (name: string, parent: string) => tag(name, parent).map((m) => ({ ...m, rowless: '1' }));
    const markers = [...tag('A', ''), ...rowless('S1', 'A'), ...tag('B', 'A'), ...rowless('S2', 'B')];
    expect(chainOf(markers, 'S1', WANTED, 'c')).toEqual({ tags: ['A'], rebase: false });
    expect(chainOf(markers, 'S2', WANTED, 'c')).toEqual({ tags: ['B', 'A'], rebase: false });
    // Three tags walked, two holding rows: under a limit of three the chain grows on.
    expect(chainOf(markers, 'S2', WANTED, 'c', { tags: 3, baseAgeS: 3_600 })?.rebase).toBe(false);
    // A tag whose markers disagree is taken as holding rows.
    const mixed = [...tag('A', ''), rowless('M', 'A')[0]!, tag('M', 'A')[1]!];
    expect(chainOf(mixed, 'M', WANTED, 'c')).toEqual({ tags: ['M', 'A'], rebase: false });
  });
});
