import { EndpointError } from '@dossier/clickhouse-http';
import { describe, expect, it } from 'vitest';
import { formatClause, refuseEscapes, stringLiteral } from './read-only-policy.ts';

const refusal = (formatted: string) => {
  try {
    refuseEscapes(formatted);
    return undefined;
  } catch (err) {
    return err instanceof EndpointError ? err.code : err;
  }
};

describe('read-only policy on the engine-formatted query', () => {
  it('finds the top-level FORMAT only', () => {
    expect(formatClause('SELECT 1 AS x\nFORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(formatClause('SELECT 1')).toBeUndefined();
    expect(formatClause("SELECT 'FORMAT CSV' AS s")).toBeUndefined();
  });

  it('refuses a reset to DEFAULT and INTO OUTFILE with READONLY, not the same words in literals', () => {
    expect(refusal('SELECT 1\nSETTINGS readonly = DEFAULT')).toBe(164);
    expect(refusal('SET max_memory_usage = DEFAULT')).toBe(164);
    expect(refusal("SELECT 1\nINTO OUTFILE '/tmp/x'")).toBe(164);
    expect(refusal('SELECT \'a = DEFAULT\', `INTO OUTFILE`, "x = default"')).toBeUndefined();
    expect(refusal("SELECT 'it\\'s = DEFAULT'")).toBeUndefined();
  });

  it('writes string literals the engine reads back exactly', () => {
    expect(stringLiteral("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});
