import { describe, expect, it } from 'vitest';
import { REPLAY_CHUNK, replayDeadLetters } from '../src/replay.ts';
import { deadLetterKeys, positionOf, seal } from '../src/seal.ts';

const keys = deadLetterKeys('33'.repeat(32));
const TOPIC = 'dossier.events.v1';

/** `n` stored letters as the selection query returns them, each sealed at its own position. */
function letters(n: number) {
  return Array.from({ length: n }, (_, offset) => ({
    source_topic: TOPIC,
    source_partition: 0,
    source_offset: String(offset),
    reason_code: 'too_large',
    rejected_at: '2026-11-02 01:00:00.000',
    payload_key_id: keys.current.id,
    payload_sealed: seal(keys.current, positionOf(TOPIC, 0, offset), {
      key: Buffer.from(`k${offset}`),
      value: Buffer.from(`{"n":${offset}}`),
      headers: [],
    }),
  }));
}

/** A replay over fakes on a fake clock; what happened, in order, with the clock's time. */
async function replay(n: number, ratePerSecond?: number) {
  let clock = 0;
  const log: string[] = [];
  const rows = letters(n);
  await replayDeadLetters(
    {
      clickhouse: {
        query: (async () => ({ json: async () => rows })) as never,
        insert: (async ({ values }: { values: unknown[] }) => {
          log.push(`${clock} record ${values.length}`);
        }) as never,
      },
      producer: {
        send: async ({ messages }) => {
          log.push(`${clock} send ${messages.length}`);
          return [];
        },
      },
      keys,
      now: () => clock,
      sleep: async (ms) => {
        log.push(`${clock} wait ${ms}`);
        clock += ms;
      },
    },
    { ratePerSecond },
  );
  return log;
}

describe('replay pace', () => {
  it('sends chunk after chunk without waiting when no rate is asked', async () => {
    expect(await replay(REPLAY_CHUNK * 2 + 5)).toEqual([
      '0 send 100',
      '0 record 100',
      '0 send 100',
      '0 record 100',
      '0 send 5',
      '0 record 5',
    ]);
  });

  it('starts each chunk no earlier than the rate allows, counting from the first', async () => {
    expect(await replay(REPLAY_CHUNK * 2 + 5, 50)).toEqual([
      '0 send 100',
      '0 record 100',
      '0 wait 2000',
      '2000 send 100',
      '2000 record 100',
      '2000 wait 2000',
      '4000 send 5',
      '4000 record 5',
    ]);
  });
});
