import { ConfigError } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { loadAllInOneConfig } from '../src/config.ts';

const KEY = 'k'.repeat(32);
const LETTER_KEY = 'e4'.repeat(32);

describe('all-in-one configuration', () => {
  it('defaults to embedded ClickHouse under DATA_DIR, a local broker and the simulator on', () => {
    const s = loadAllInOneConfig({ DATA_DIR: '/tmp/x', KAFKA_PORT: '19092' }, KEY, LETTER_KEY);
    expect(s.clickhouseUrl).toBe('chdb:/tmp/x/clickhouse');
    expect(s.brokers).toEqual(['127.0.0.1:19092']);
    expect(s.ingestor.KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
    expect(s.ingestor.APPLICANT_HASH_KEY).toBe(KEY);
    expect(s.ingestor.DEAD_LETTER_KEY).toBe(LETTER_KEY);
    expect(s.own.SIMULATOR).toBe(true);
    expect(s.analysts.ANALYSTS_PORT).toBe(8123);
    expect(s.monitor.MONITOR_PORT).toBe(8080);
  });

  it('turns the simulator off with SIMULATOR=false and keeps given brokers', () => {
    const s = loadAllInOneConfig({ SIMULATOR: 'false', KAFKA_BROKERS: 'a:1, b:2' }, KEY, LETTER_KEY);
    expect(s.own.SIMULATOR).toBe(false);
    expect(s.brokers).toEqual(['a:1', 'b:2']);
  });

  it('lists the problems of every service at once', () => {
    let error: unknown;
    try {
      loadAllInOneConfig(
        {
          SIMULATOR_RATE: '-5',
          MONITOR_PORT: 'http',
          ANALYSTS_USER: 'only-user',
          AGGREGATOR_INTERVAL_SECONDS: 'x',
          INGEST_MIN_BYTES: '0',
        },
        KEY,
        'not-a-key',
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'DEAD_LETTER_KEY',
      'SIMULATOR_RATE',
      'MONITOR_PORT',
      'ANALYSTS_PASSWORD',
      'AGGREGATOR_INTERVAL_SECONDS',
      'INGEST_MIN_BYTES',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('refuses a monitor bound beyond loopback without an operator credential', () => {
    expect(() => loadAllInOneConfig({ MONITOR_HOST: '0.0.0.0' }, KEY, LETTER_KEY)).toThrow(
      /MONITOR_ADMIN_TOKEN/,
    );
    const s = loadAllInOneConfig(
      { MONITOR_HOST: '0.0.0.0', MONITOR_ADMIN_TOKEN: 'a'.repeat(32) },
      KEY,
      LETTER_KEY,
    );
    expect(s.monitor.MONITOR_HOST).toBe('0.0.0.0');
    expect(loadAllInOneConfig({}, KEY, LETTER_KEY).monitor.MONITOR_HOST).toBe('127.0.0.1');
  });

  it('refuses CLICKHOUSE_CLUSTER without a ClickHouse server, and a cluster name that is not one', () => {
    expect(() => loadAllInOneConfig({ CLICKHOUSE_CLUSTER: 'dossier' }, KEY, LETTER_KEY)).toThrow(
      /CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL=http/,
    );
    expect(() =>
      loadAllInOneConfig(
        { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: "x'; DROP" },
        KEY,
        LETTER_KEY,
      ),
    ).toThrow(/CLICKHOUSE_CLUSTER: expected a cluster name/);
    const s = loadAllInOneConfig(
      { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'dossier' },
      KEY,
      LETTER_KEY,
    );
    expect(s.own.CLICKHOUSE_CLUSTER).toBe('dossier');
  });
});
