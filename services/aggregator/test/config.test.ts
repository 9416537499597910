import { ConfigError, loadConfig } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { AggregatorConfig } from '../src/config.ts';

describe('AggregatorConfig', () => {
  it('defaults to a 60 s cycle over every scope and period kind', () => {
    const config = loadConfig(AggregatorConfig, {});
    expect(config).toMatchObject({
      AGGREGATOR_INTERVAL_SECONDS: 60,
      AGGREGATOR_PERIOD_KINDS: ['day', 'month', 'quarter', 'year'],
      AGGREGATOR_SCOPE_KINDS: ['city', 'admin_level', 'agency', 'field', 'procedure'],
      AGGREGATOR_QUEUE: 'kpi-aggregator',
      AGGREGATOR_STALE_AFTER_INTERVALS: 3,
      AGGREGATOR_STATEMENT_TIMEOUT_SECONDS: 1800,
    });
  });

  it('parses lists and treats empty strings as unset', () => {
    const config = loadConfig(AggregatorConfig, {
      AGGREGATOR_INTERVAL_SECONDS: '15',
      AGGREGATOR_PERIOD_KINDS: 'month, year',
      AGGREGATOR_SCOPE_KINDS: '',
    });
    expect(config.AGGREGATOR_INTERVAL_SECONDS).toBe(15);
    expect(config.AGGREGATOR_PERIOD_KINDS).toEqual(['month', 'year']);
    expect(config.AGGREGATOR_SCOPE_KINDS).toHaveLength(5);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig(AggregatorConfig, {
        AGGREGATOR_INTERVAL_SECONDS: '-1',
        AGGREGATOR_PERIOD_KINDS: 'week',
        REDIS_URL: 'x',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(3);
    }
  });
});

describe('AGGREGATOR_DAY_HORIZON_DAYS', () => {
  it('defaults to 92 days and 0 lifts the limit', () => {
    expect(loadConfig(AggregatorConfig, {}).AGGREGATOR_DAY_HORIZON_DAYS).toBe(92);
    expect(
      loadConfig(AggregatorConfig, { AGGREGATOR_DAY_HORIZON_DAYS: '0' }).AGGREGATOR_DAY_HORIZON_DAYS,
    ).toBeUndefined();
  });
});
