import { describe, expect, it } from 'vitest';
import { unitTree } from '../src/index.ts';

describe('unitTree', () => {
  const tree = unitTree([
    { code: 'CITY', parent: '' },
    { code: 'D1', parent: 'CITY' },
    { code: 'W1', parent: 'D1' },
    { code: 'W2', parent: 'D1' },
    { code: 'X', parent: 'GONE' },
    { code: 'LOOP-A', parent: 'LOOP-B' },
    { code: 'LOOP-B', parent: 'LOOP-A' },
  ]);

  it('follows parents to the root, and ends at a parent missing from the catalog or repeated', () => {
    expect(tree.chainOf('W1')).toEqual(['W1', 'D1', 'CITY']);
    expect(tree.chainOf('X')).toEqual(['X']);
    expect(tree.chainOf('LOOP-A')).toEqual(['LOOP-A', 'LOOP-B']);
    expect(tree.chainOf('NOT-IN-CATALOG')).toEqual(['NOT-IN-CATALOG']);
  });

  it('gives a unit and its sub-units at any depth', () => {
    expect(tree.descendantsOf('CITY')).toEqual(['CITY', 'D1', 'W1', 'W2']);
    expect(tree.descendantsOf('D1')).toEqual(['D1', 'W1', 'W2']);
    expect(tree.descendantsOf('W2')).toEqual(['W2']);
    expect(tree.descendantsOf('NOT-IN-CATALOG')).toEqual(['NOT-IN-CATALOG']);
  });
});
