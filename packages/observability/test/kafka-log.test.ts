import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { KafkaJSError, KafkaJSNumberOfRetriesExceeded, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger, isSettlingKafkaError, kafkaLogCreator } from '../src/index.ts';

// The protocol errors kafkajs throws for a response's error code.
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};

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
    entry('Connection', logLevel.ERROR, 'Response ListOffsets(key: 2, version: 3)', {
      error: 'This server is not the leader for that topic-partition',
    });
    entry('Connection', logLevel.ERROR, 'Response Produce(key: 0, version: 7)', {
      error: 'The request included a message larger than the max message size the server will accept',
    });
    const moved = 'This is not the correct coordinator for this group';
    entry('Consumer', logLevel.ERROR, `Crash: KafkaJSNumberOfRetriesExceeded: ${moved}`, { groupId: 'g' });
    entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { groupId: 'g', retryTime: 300 });
    entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: gave up', { groupId: 'g' });
    entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { groupId: 'g', retryTime: 300 });
    expect(lines.map((l) => [l.level, l.kafka])).toEqual([
      [20, 'Response GroupCoordinator(key: 10, version: 2)'],
      [20, `Crash: KafkaJSProtocolError: ${loading}`],
      [20, 'Restarting the consumer in 300ms'],
      [20, 'Response ListOffsets(key: 2, version: 3)'],
      [50, 'Response Produce(key: 0, version: 7)'],
      [20, 'Crash: KafkaJSNumberOfRetriesExceeded: This is not the correct coordinator for this group'],
      [20, 'Restarting the consumer in 300ms'],
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

  it('tells a settling error that kafkajs re-threw and gave up on', () => {
    // As consumerGroup.js re-throws NOT_COORDINATOR_FOR_GROUP during a join, and the retrier wraps it.
    const protocol = createErrorFromCode(16);
    const rethrown = new KafkaJSError(protocol);
    expect(
      isSettlingKafkaError(new KafkaJSNumberOfRetriesExceeded(rethrown, { retryCount: 5, retryTime: 382 })),
    ).toBe(true);
    expect(isSettlingKafkaError(rethrown)).toBe(true);
    const tooLarge = createErrorFromCode(10);
    expect(
      isSettlingKafkaError(new KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 5, retryTime: 382 })),
    ).toBe(false);
    expect(isSettlingKafkaError(new KafkaJSError('The group coordinator is loading, maybe'))).toBe(false);
  });
});
