import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, clickhouseUrl, csvList, loadConfig, port } from '../src/index.ts';

const Schema = z.object({
  KAFKA_BROKERS: csvList(),
  OPS_PORT: port().default(9464),
  CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
  DLQ_ENABLED: z.stringbool().default(true),
});

describe('loadConfig', () => {
  it('parses, trims lists, applies defaults and treats empty strings as unset', () => {
    const config = loadConfig(Schema, { KAFKA_BROKERS: 'a:1, b:2', OPS_PORT: '', DLQ_ENABLED: 'false' });
    expect(config).toEqual({
      KAFKA_BROKERS: ['a:1', 'b:2'],
      OPS_PORT: 9464,
      CLICKHOUSE_URL: 'chdb:./data/clickhouse',
      DLQ_ENABLED: false,
    });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig(Schema, { OPS_PORT: '70000', CLICKHOUSE_URL: 'mysql://x', DLQ_ENABLED: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect((err as ConfigError).problems).toHaveLength(4);
      for (const key of ['KAFKA_BROKERS', 'OPS_PORT', 'CLICKHOUSE_URL', 'DLQ_ENABLED'])
        expect(problems).toContain(key);
    }
  });
});
