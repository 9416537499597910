import { describe, expect, it } from 'vitest';
import {
  clickHouseErrorCode,
  isMissingTable,
  isPassingErrorCode,
  isRowErrorCode,
  networkErrorCode,
} from '../src/index.ts';

const engineError = (code: string, type: string) => Object.assign(new Error('DB::Exception'), { code, type });

describe('ClickHouse error classification', () => {
  it('reads the code of a ClickHouse exception only (code and type), never a socket code or the text', () => {
    expect(clickHouseErrorCode(engineError('60', 'UNKNOWN_TABLE'))).toBe(60);
    expect(clickHouseErrorCode(Object.assign(new Error('x'), { code: '60' }))).toBeUndefined();
    expect(
      clickHouseErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET', type: 'x' })),
    ).toBeUndefined();
    expect(clickHouseErrorCode(new Error('Code: 60. DB::Exception: (UNKNOWN_TABLE)'))).toBeUndefined();
  });

  it('tells row errors, passing errors and missing tables apart', () => {
    expect(isRowErrorCode(27)).toBe(true);
    expect(isRowErrorCode(241)).toBe(false);
    expect(isPassingErrorCode(241)).toBe(true);
    expect(isPassingErrorCode(62)).toBe(false);
    expect(isMissingTable(engineError('81', 'UNKNOWN_DATABASE'))).toBe(true);
    expect(isMissingTable(engineError('62', 'SYNTAX_ERROR'))).toBe(false);
  });

  it('knows the network codes of both former lists', () => {
    for (const code of ['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']) {
      expect(networkErrorCode(Object.assign(new Error('x'), { code }))).toBe(code);
    }
    expect(networkErrorCode(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBeUndefined();
    expect(networkErrorCode('ECONNREFUSED')).toBeUndefined();
  });
});
