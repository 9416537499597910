import { describe, expect, it } from 'vitest';
import { QUERY_PARAM_NAME, stringLiteral } from '../src/sql-literals.ts';

describe('sql literals', () => {
  it('writes string literals the engine reads back exactly', () => {
    expect(stringLiteral("a'b\\c")).toBe("'a\\'b\\\\c'");
  });

  it('accepts the query parameter names ClickHouse accepts and nothing that could end the SET', () => {
    for (const name of ['agency', '_x', 'p1_b']) expect(QUERY_PARAM_NAME.test(name)).toBe(true);
    for (const name of ['', '1a', 'a-b', 'a = 1; DROP', 'a\nb'])
      expect(QUERY_PARAM_NAME.test(name)).toBe(false);
  });
});
