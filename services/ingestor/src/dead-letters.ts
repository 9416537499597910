import {
  DEAD_LETTERS_TABLE,
  type DeadLetter,
  type DeadLetterKeys,
  sendToDeadLetterTopic,
  type TopicLimit,
  type TopicOutcome,
  toDeadLetterRow,
} from '@dossier/dead-letters';
import type { Producer } from 'kafkajs';
import { insertRows, type WriterDeps } from './clickhouse-writer.ts';
import { classifyError } from './errors.ts';

export type { DeadLetter } from '@dossier/dead-letters';

export type DeadLetterProducer = Pick<Producer, 'send'>;

export interface DeadLetterDeps extends WriterDeps {
  producer: DeadLetterProducer;
  deadLetterTopic: string;
  /** Seals the original bytes before they reach ClickHouse. */
  keys: DeadLetterKeys;
  /** The dead-letter topic's batch limit as read from the broker; `refresh` reads it again. */
  topicLimit: { current: () => TopicLimit; refresh?: () => Promise<void> };
}

/**
 * Topic first, then table; both must succeed before the batch's offsets are committed. The topic gets
 * each letter in requests it accepts (a reference for a letter it cannot take), the table every letter
 * sealed. A retry may send a letter to the topic twice; the table keeps one row per source position.
 */
export async function writeDeadLetters(
  deps: DeadLetterDeps,
  letters: DeadLetter[],
  token: string,
): Promise<TopicOutcome[]> {
  if (letters.length === 0) return [];
  let stage: 'topic' | 'table' = 'topic';
  try {
    const outcomes = await deps.guard(
      sendToDeadLetterTopic(
        {
          producer: deps.producer,
          topic: deps.deadLetterTopic,
          limit: deps.topicLimit.current,
          refresh: deps.topicLimit.refresh,
        },
        letters,
      ),
    );
    stage = 'table';
    const rows = letters.map((letter, i) =>
      toDeadLetterRow(letter, deps.keys, outcomes[i] ?? { record: 'none', note: '' }),
    );
    await insertRows(deps, DEAD_LETTERS_TABLE, rows, `${token}:${DEAD_LETTERS_TABLE}`);
    return outcomes;
  } catch (error) {
    if (classifyError(error).kind !== 'abandoned') deps.metrics.deadLetterFailures.inc({ stage });
    throw error;
  }
}
