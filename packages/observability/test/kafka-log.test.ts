import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger, isSettlingKafkaError, kafkaLogCreator } from '../src/index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write: (chunk, _enc, done) => {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const log = kafkaLogCreator(createLogger({ service: 'test', level: 'debug', destination }))(logLevel.DEBUG);
  const entry = (namespace: string, level: logLevel, message: string, extra: Record<string, unknown> = {}) =>
    log({ namespace, level, label: '', log: { timestamp: 't', logger: 'kafkajs', message, ...extra } });
  return { lines, entry };
}

describe('kafkajs log lines', () => {
  it('are quiet while a fresh group settles, and errors otherwise', () => {
    const { lines, entry } = capture();
    entry('Connection', logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', {
      error: 'The group coordinator is not available',
    });
    const loading = "The coordinator is loading and hence can't process requests for this group";
    entry('Consumer', logLevel.ERROR, `Crash: KafkaJSProtocolError: ${loading}`, { groupId: 'g' });
    entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { groupId: 'g', retryTime: 300 });
    entry('Connection', logLevel.ERROR, 'Response Produce(key: 0, version: 7)', {
      error: 'The request included a message larger than the max message size the server will accept',
    });
    entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: gave up', { groupId: 'g' });
    entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { groupId: 'g', retryTime: 300 });
    expect(lines.map((l) => [l.level, l.kafka])).toEqual([
      [20, 'Response GroupCoordinator(key: 10, version: 2)'],
      [20, `Crash: KafkaJSProtocolError: ${loading}`],
      [20, 'Restarting the consumer in 300ms'],
      [50, 'Response Produce(key: 0, version: 7)'],
      [50, 'Crash: KafkaJSNumberOfRetriesExceeded: gave up'],
      [50, 'Restarting the consumer in 300ms'],
    ]);
    expect(lines[0]).not.toHaveProperty('timestamp');
    expect(lines[0]).not.toHaveProperty('logger');
  });

  it('tells a settling error by its type', () => {
    expect(isSettlingKafkaError({ type: 'GROUP_LOAD_IN_PROGRESS' })).toBe(true);
    expect(isSettlingKafkaError({ type: 'MESSAGE_TOO_LARGE' })).toBe(false);
    expect(isSettlingKafkaError(new Error('The group coordinator is not available'))).toBe(false);
  });
});
