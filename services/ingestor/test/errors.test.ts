import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.ts';
import { BatchAbandonedError, classifyError, describeClickHouseRejection } from '../src/errors.ts';

const clickHouseError = (code: string, type: string) =>
  Object.assign(new Error('Code: x. DB::Exception'), { code, type });

describe('classifyError', () => {
  it('treats data errors of a row as row failures, by code', () => {
    expect(classifyError(clickHouseError('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'))).toEqual({
      kind: 'row',
      code: '27',
    });
    expect(classifyError(clickHouseError('41', 'CANNOT_PARSE_DATETIME'))).toEqual({
      kind: 'row',
      code: '41',
    });
  });

  it('retries server and deployment errors instead of dead-lettering good rows', () => {
    expect(classifyError(clickHouseError('60', 'UNKNOWN_TABLE'))).toEqual({ kind: 'transient', code: '60' });
    expect(classifyError(clickHouseError('241', 'MEMORY_LIMIT_EXCEEDED'))).toEqual({
      kind: 'transient',
      code: '241',
    });
  });

  it('never reads the message text', () => {
    const lookalike = new Error(
      'Code: 27. DB::Exception: Cannot parse input (CANNOT_PARSE_INPUT_ASSERTION_FAILED)',
    );
    expect(classifyError(lookalike)).toEqual({ kind: 'transient', code: 'other' });
  });

  it('classifies network and kafkajs errors as transient with a closed label', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(classifyError(refused)).toEqual({ kind: 'transient', code: 'ECONNREFUSED' });
    expect(classifyError(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toEqual({
      kind: 'transient',
      code: 'other',
    });
    expect(classifyError(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toEqual({
      kind: 'transient',
      code: 'kafka',
    });
    expect(classifyError('a string')).toEqual({ kind: 'transient', code: 'other' });
  });

  it('recognises an abandoned batch', () => {
    expect(classifyError(new BatchAbandonedError()).kind).toBe('abandoned');
  });

  it('describes a refusal by code and type only', () => {
    const err = Object.assign(new Error('value 079123456789 cannot be parsed'), {
      code: '27',
      type: 'CANNOT_PARSE',
    });
    expect(describeClickHouseRejection(err)).toBe('ClickHouse rejected the row: code 27 CANNOT_PARSE');
  });
});

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 1_000 };
  it('doubles per attempt up to the cap, with half of each step jittered', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, { ...options, random: () => 0 }))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect(backoffDelay(10, { ...options, random: () => 0.999 })).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(3, { ...options, random: () => 0.5 })).toBe(300);
  });
});
