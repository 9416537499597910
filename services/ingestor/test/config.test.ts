import { ConfigError, loadConfig } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { IngestorConfig } from '../src/config.ts';

const minimal = {
  KAFKA_BROKERS: 'a:9092, b:9092',
  APPLICANT_HASH_KEY: 'k'.repeat(32),
  DEAD_LETTER_KEY: 'a1'.repeat(32),
};

describe('IngestorConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(IngestorConfig, minimal);
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9092']);
    expect(config.TOPIC_EVENTS).toBe('dossier.events.v1');
    expect(config.TOPIC_DEAD_LETTER).toBe('dossier.dead-letter.v1');
    expect(config.KAFKA_ENSURE_TOPICS).toBe(true);
    expect(config.INGEST_MAX_MESSAGE_BYTES).toBeUndefined();
    expect(config.DEAD_LETTER_PREVIOUS_KEYS).toEqual([]);
  });

  it('parses booleans as booleans and numbers as numbers', () => {
    const config = loadConfig(IngestorConfig, {
      ...minimal,
      KAFKA_ENSURE_TOPICS: 'false',
      RETRY_MAX_MS: '2000',
    });
    expect(config.KAFKA_ENSURE_TOPICS).toBe(false);
    expect(config.RETRY_MAX_MS).toBe(2000);
  });

  it('lists every problem at once, cross-field rules included', () => {
    let problems: string[] = [];
    try {
      loadConfig(IngestorConfig, {
        KAFKA_BROKERS: 'a:9092',
        APPLICANT_HASH_KEY: 'short',
        DEAD_LETTER_KEY: 'not-hex',
        DEAD_LETTER_PREVIOUS_KEYS: `${'b2'.repeat(32)},short`,
        RETRY_INITIAL_MS: '5000',
        RETRY_MAX_MS: '1000',
        TOPIC_DEAD_LETTER: 'dossier.events.v1',
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'APPLICANT_HASH_KEY',
        'DEAD_LETTER_KEY',
        'DEAD_LETTER_PREVIOUS_KEYS.1',
        'RETRY_MAX_MS',
        'TOPIC_DEAD_LETTER',
      ]),
    );
  });
});
