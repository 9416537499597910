import type { Message, Producer } from 'kafkajs';
import {
  type DeadLetter,
  RECORD_BATCH_OVERHEAD,
  recordBytes,
  type TopicRecord,
  toCopyMessage,
  toReferenceMessage,
} from './letter.ts';

/** kafkajs protocol error types that a given record will get again however often it is sent. */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

/** The broker refused these records themselves (size, format, timestamp): sending them again cannot help. */
export function isRecordRefusal(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const type = (e as Error & { type?: unknown }).type;
    if (e.name === 'KafkaJSProtocolError' && typeof type === 'string' && RECORD_REFUSALS.has(type))
      return true;
    if ((e as Error & { cause?: unknown }).cause === e) break;
  }
  return false;
}

export interface TopicLimit {
  /** Largest record batch the topic accepts (its max.message.bytes, capped by the request size). */
  maxBatchBytes: number;
  /** Where the figure came from, for the log and the row note. */
  source: string;
}

export interface TopicWriterDeps {
  producer: Pick<Producer, 'send'>;
  topic: string;
  /** The current limit; `refresh` reads it again from the broker after a size refusal. */
  limit: () => TopicLimit;
  refresh?: () => Promise<void>;
}

export interface TopicOutcome {
  record: TopicRecord;
  note: string;
}

interface Planned {
  index: number;
  message: Message;
  bytes: number;
  kind: 'copy' | 'reference';
}

/**
 * Sends each letter to the dead-letter topic in requests the broker accepts: packed in order up to the
 * topic's batch limit, a letter too large on its own replaced by a reference to its table row, and a
 * refused request split until the refused letter stands alone (then its reference is sent; a reference
 * refused too is recorded as `none` and passed). Transient failures are thrown: the caller retries the
 * batch later. A retry may send a letter to the topic twice; the table keeps one row per position.
 */
export async function sendToDeadLetterTopic(
  deps: TopicWriterDeps,
  letters: readonly DeadLetter[],
): Promise<TopicOutcome[]> {
  const outcomes: TopicOutcome[] = letters.map(() => ({ record: 'copy', note: '' }));
  let refreshed = false;
  const budget = () => deps.limit().maxBatchBytes - RECORD_BATCH_OVERHEAD;

  const planned: Planned[] = letters.map((letter, index) => {
    const message = toCopyMessage(letter);
    const bytes = recordBytes(message);
    if (bytes <= budget()) return { index, message, bytes, kind: 'copy' };
    return reference(
      index,
      `${bytes} bytes exceed the topic's limit of ${deps.limit().maxBatchBytes} (${deps.limit().source})`,
    );
  });

  function reference(index: number, note: string): Planned {
    const letter = letters[index] as DeadLetter;
    const message = toReferenceMessage(letter, note);
    outcomes[index] = { record: 'reference', note };
    return { index, message, bytes: recordBytes(message), kind: 'reference' };
  }

  async function send(group: Planned[]): Promise<void> {
    if (group.length === 0) return;
    try {
      await deps.producer.send({ topic: deps.topic, messages: group.map((p) => p.message), acks: -1 });
      return;
    } catch (err) {
      if (!isRecordRefusal(err)) throw err;
      if (!refreshed && deps.refresh) {
        refreshed = true; // the topic's limit may have been lowered since it was read
        await deps.refresh();
      }
      if (group.length > 1) {
        const middle = Math.ceil(group.length / 2);
        await send(group.slice(0, middle));
        await send(group.slice(middle));
        return;
      }
      const [only] = group as [Planned];
      const type = String((err as { type?: unknown }).type ?? 'refused');
      if (only.kind === 'copy') {
        await send([reference(only.index, `the topic refused the copy (${type})`)]);
        return;
      }
      outcomes[only.index] = { record: 'none', note: `the topic refused even a reference (${type})` };
    }
  }

  let group: Planned[] = [];
  let groupBytes = 0;
  for (const p of planned) {
    if (group.length > 0 && groupBytes + p.bytes > budget()) {
      await send(group);
      group = [];
      groupBytes = 0;
    }
    group.push(p);
    groupBytes += p.bytes;
  }
  await send(group);
  return outcomes;
}
