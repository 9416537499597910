import { describe, expect, it } from 'vitest';
import { parseCliOptions } from '../src/cli-options.ts';

const NOW = new Date('2025-11-01T00:00:00Z');

describe('simulator CLI options', () => {
  it('defaults to live mode with brokers from the environment', () => {
    const o = parseCliOptions({ rate: '200', duration: '30' }, { KAFKA_BROKERS: 'a:1,b:2' }, NOW);
    expect(o).toMatchObject({
      mode: 'live',
      brokers: ['a:1', 'b:2'],
      live: { rate: 200, durationSec: 30, dvcqgShare: 0.4 },
    });
  });

  it('switches to backlog mode and never reaches past now', () => {
    const o = parseCliOptions({ backlog: '1000', from: '2024-01-01', to: '2030-01-01' }, {}, NOW);
    if (o.mode !== 'backlog') throw new Error('expected backlog mode');
    expect(o.backlog.to).toEqual(NOW);
    expect(o.backlog.dossiers).toBe(1000);
  });

  it('lists every problem at once', () => {
    expect(() =>
      parseCliOptions({ rate: '-1', 'malformed-share': '2', from: '2025-01-01', to: '2024-01-01' }, {}, NOW),
    ).toThrow(/--rate[\s\S]*--malformed-share[\s\S]*--to/);
  });
});
