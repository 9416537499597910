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
 * coordinator loading or moved, a rebalance, a new topic's leader election. A failure that outlasts
 * kafkajs's retries reaches the caller as an error of its own (the ingestor logs a consumer crash that
 * does not restart as an error), so these lines are debug.
 */
const SETTLING_TYPES = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'LEADER_NOT_AVAILABLE',
]);

// kafkajs names a Kafka error in its log lines by the error's text only (`error: e.message` on a
// connection's "Response …" line, `Crash: <name>: <message>` on a consumer's); its error table gives each
// text exactly one type, so the type is looked up there by whole-text equality, never by a fragment.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; message: string }[];
};
const SETTLING_TEXTS = new Set(errorCodes.filter((e) => SETTLING_TYPES.has(e.type)).map((e) => e.message));
const SETTLING_CRASHES = new Set([...SETTLING_TEXTS].map((text) => `Crash: KafkaJSProtocolError: ${text}`));

/** Whether a kafkajs error is one of a group or topic settling (see SETTLING_TYPES). */
export function isSettlingKafkaError(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && SETTLING_TYPES.has(type);
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
