import { LATEST_UNITS_SQL, MAX_DEPTH } from './units.ts';

// The agency hierarchy of units.ts in TypeScript, for readers that need it once per request rather than
// inside a statement (the at-risk list: a unit's sub-units name the key ranges it reads, and its counts
// roll up along the chains). Same rules as chainOfSql: a chain starts with its agency and follows the
// latest parent; a parent missing from the catalog ends it, a repeated agency ends it, MAX_DEPTH cuts it.

/** Every agency's latest parent ('' when none): `code`, `parent` rows. */
export const UNIT_PARENTS_SQL = `SELECT code, parent FROM (${LATEST_UNITS_SQL})`;

export interface UnitParent {
  code: string;
  parent: string;
}

export interface UnitTree {
  /** The chain of an agency: itself, its parent, … up to the root; [code] when not in the catalog. */
  chainOf(code: string): readonly string[];
  /** The agency and its sub-units at any depth (every agency whose chain contains it), sorted. */
  descendantsOf(code: string): string[];
}

export function unitTree(units: readonly UnitParent[]): UnitTree {
  const parents = new Map(units.map((u) => [u.code, u.parent]));
  const chains = new Map<string, string[]>();
  for (const code of parents.keys()) {
    const chain = [code];
    for (let i = 1; i < MAX_DEPTH; i++) {
      const parent = parents.get(chain[chain.length - 1] as string) ?? '';
      if (parent === '' || !parents.has(parent) || chain.includes(parent)) break;
      chain.push(parent);
    }
    chains.set(code, chain);
  }
  return {
    chainOf: (code) => chains.get(code) ?? [code],
    descendantsOf: (code) => {
      const found = new Set([code]);
      for (const [c, chain] of chains) if (chain.includes(code)) found.add(c);
      return [...found].sort();
    },
  };
}
