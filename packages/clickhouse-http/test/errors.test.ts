import { describe, expect, it } from 'vitest';
import { CODES, EndpointError, exceptionBody, httpStatusOf } from '../src/errors.ts';

describe('ClickHouse HTTP error mapping', () => {
  it('maps exception codes to the statuses ClickHouse uses', () => {
    expect(httpStatusOf(62)).toBe(400);
    expect(httpStatusOf(60)).toBe(404);
    expect(httpStatusOf(194)).toBe(401);
    expect(httpStatusOf(516)).toBe(403);
    expect(httpStatusOf(159)).toBe(408);
    expect(httpStatusOf(229)).toBe(413);
    expect(httpStatusOf(164)).toBe(500);
  });

  it('keeps the engine’s own text and adds the version when it is missing', () => {
    const engine = Object.assign(new Error('parsed'), {
      cause: new Error(
        'Code: 164. DB::Exception: default: Cannot execute query in readonly mode. (READONLY)',
      ),
    });
    expect(exceptionBody(engine, '26.7')).toEqual({
      code: 164,
      text: 'Code: 164. DB::Exception: default: Cannot execute query in readonly mode. (READONLY) (version 26.7)\n',
    });
  });

  it('names its own errors and hides anything else behind a generic text', () => {
    expect(exceptionBody(new EndpointError(CODES.QUERY_IS_TOO_LARGE, 'Query is too large'), '1').text).toBe(
      'Code: 229. DB::Exception: Query is too large. (QUERY_IS_TOO_LARGE) (version 1)\n',
    );
    const hidden = exceptionBody(new TypeError('secret detail'), '1');
    expect(hidden.code).toBe(1001);
    expect(hidden.text).not.toContain('secret');
  });
});
