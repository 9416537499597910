import type { Statements } from '../statements.ts';

/**
 * The agency hierarchy as query parameters: for every agency its admin level and its chain (itself, its
 * parent, … up to the root), from the latest row of each agency in agencies_v1. A unit's Decision 766
 * score includes its sub-units at any depth: a count of agency X also counts for every agency of X's
 * chain. A parent missing from the catalog ends the chain; a cycle ends it at the repeated agency.
 */
export interface UnitParams {
  unit_codes: string[];
  unit_levels: string[];
  unit_chains: string[][];
}

export const UNITS_SQL = `
SELECT agency_code AS code, toString(argMax(admin_level, valid_from)) AS level,
  argMax(coalesce(parent_code, ''), valid_from) AS parent
FROM agencies_v1 FINAL
GROUP BY agency_code
ORDER BY agency_code`;

export function unitChains(rows: readonly { code: string; level: string; parent: string }[]): UnitParams {
  const parentOf = new Map(rows.map((r) => [r.code, r.parent]));
  const chain = (code: string): string[] => {
    const out = [code];
    const seen = new Set(out);
    let at = parentOf.get(code) ?? '';
    while (at !== '' && parentOf.has(at) && !seen.has(at)) {
      out.push(at);
      seen.add(at);
      at = parentOf.get(at) ?? '';
    }
    return out;
  };
  return {
    unit_codes: rows.map((r) => r.code),
    unit_levels: rows.map((r) => r.level),
    unit_chains: rows.map((r) => chain(r.code)),
  };
}

export async function loadUnits(sql: Statements): Promise<UnitParams> {
  return unitChains(await sql.rows<{ code: string; level: string; parent: string }>(UNITS_SQL));
}

/** The chain (Array(String)) of the agency code expression `code`: itself when it is not in the catalog. */
export function chainOfSql(code: string): string {
  return `if(indexOf({unit_codes:Array(String)}, ${code}) = 0, [${code}],
    {unit_chains:Array(Array(String))}[indexOf({unit_codes:Array(String)}, ${code})])`;
}

/** (scope_kind, scope_code) pairs the counts of agency `code` roll up to: the city and the agency's chain. */
export function rollupScopesSql(code: string): string {
  return `arrayConcat([('city', '')], if(${code} = '', [], arrayMap(c -> ('agency', c), ${chainOfSql(code)})))`;
}
