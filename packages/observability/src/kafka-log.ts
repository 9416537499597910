import { createRequire } from 'node:module';
import { type logCreator, logLevel } from 'kafkajs';
import type { Logger } from './logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Kafka errors of a group or topic settling, which kafkajs retries through by itself: the group
 * coordinator not there yet while a fresh broker creates __consumer_offsets (every first start), a
 * coordinator loading or moved, a rebalance, a new topic's leader election, a leader named by the metadata
 * that does not serve its partition yet (a topic created a moment ago: kafka-topics.ts waitForTopicLeaders
 * asks each leader for its offsets until it answers, on every first start). A failure that outlasts
 * kafkajs's retries reaches the caller as an error of its own (the ingestor logs a consumer crash that
 * does not restart as an error), so these lines are debug.
 */
const SETTLING_TYPES = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

// kafkajs names a Kafka error in its log lines by the error's text only (`error: e.message` on a
// connection's "Response …" line, `Crash: <name>: <message>` on a consumer's); its error table gives each
// text exactly one type, so the type is looked up there by whole-text equality, never by a fragment.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; message: string }[];
};
const SETTLING_TEXTS = new Set(errorCodes.filter((e) => SETTLING_TYPES.has(e.type)).map((e) => e.message));
// A consumer crashes on a settling error as the protocol error itself or, when kafkajs's own retries ran
// out first (a loaded machine: a fresh broker's coordinator took longer than those retries), as
// KafkaJSNumberOfRetriesExceeded carrying the same text.
const SETTLING_CRASHES = new Set(
  [...SETTLING_TEXTS].flatMap((text) => [
    `Crash: KafkaJSProtocolError: ${text}`,
    `Crash: KafkaJSNumberOfRetriesExceeded: ${text}`,
  ]),
);

/**
 * Whether a kafkajs error is one of a group or topic settling (see SETTLING_TYPES), also when kafkajs
 * re-threw it: a rebalance-like protocol error comes back as a plain KafkaJSError with the same text (no
 * type), wrapped in KafkaJSNumberOfRetriesExceeded when the retries ran out.
 */
export function isSettlingKafkaError(err: unknown): boolean {
  let error = err as
    | { type?: unknown; name?: unknown; message?: unknown; cause?: unknown }
    | null
    | undefined;
  for (let depth = 0; error && depth < 5; depth++, error = error.cause as typeof error) {
    if (typeof error.type === 'string' && SETTLING_TYPES.has(error.type)) return true;
    const kafkajs = typeof error.name === 'string' && error.name.startsWith('KafkaJS');
    if (kafkajs && typeof error.message === 'string' && SETTLING_TEXTS.has(error.message)) return true;
  }
  return false;
}

/**
 * Routes kafkajs's own logs into pino; kafkajs's text goes in a field so the pino message stays constant,
 * and its own timestamp and logger name are dropped (pino has both).
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () => {
    // A consumer that crashed on a settling error logs "Restarting the consumer in …ms" next: as quiet.
    const settlingRestart = new Set<string>();
    return ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      let pinoLevel = LEVELS[level] ?? 'info';
      if (level === logLevel.ERROR) {
        const groupId = typeof extra.groupId === 'string' ? extra.groupId : '';
        if (typeof extra.error === 'string' && SETTLING_TEXTS.has(extra.error)) pinoLevel = 'debug';
        else if (namespace === 'Consumer' && SETTLING_CRASHES.has(message)) {
          pinoLevel = 'debug';
          settlingRestart.add(groupId);
        } else if (
          namespace === 'Consumer' &&
          typeof extra.retryTime === 'number' &&
          settlingRestart.delete(groupId)
        )
          pinoLevel = 'debug';
      }
      logger[pinoLevel]({ namespace, kafka: message, ...extra }, 'kafkajs');
    };
  };
}
