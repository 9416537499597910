import { describe, expect, it } from 'vitest';
import { stringLiteral } from './run-query.ts';

describe('stringLiteral', () => {
  it('escapes backslashes and quotes so the text cannot end the literal', () => {
    expect(stringLiteral("SELECT 'a'")).toBe("'SELECT \\'a\\''");
    expect(stringLiteral('a\\')).toBe("'a\\\\'");
    expect(stringLiteral("\\'; DROP TABLE t")).toBe("'\\\\\\'; DROP TABLE t'");
  });
});
