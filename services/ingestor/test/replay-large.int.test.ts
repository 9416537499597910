// A replay of large letters: a chunk of them together is far over the broker's batch limit (1 MB by
// default), so the replay sends them in requests that fit; before, the broker refused the chunk every time.
import { deadLetterKeys, replayDeadLetters } from '@dossier/dead-letters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEvent, PROCEDURE, toMessage, uniqueDossierCode } from './factories.ts';
import { createHarness, type Harness } from './harness.ts';

describe('dead-letter replay of large letters', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1, config: { INGEST_MAX_MESSAGE_BYTES: '100000' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends twelve 200 KB letters back in requests the broker accepts, and they are stored', async () => {
    const large = Array.from({ length: 12 }, () =>
      canonicalEvent('submitted', uniqueDossierCode(), Date.now() - 86_400_000, {
        procedure_code: PROCEDURE,
        channel: 'online',
        note: 'x'.repeat(200_000),
      }),
    );
    const first = await h.start();
    // One at a time: together they are over the broker's limit, the very thing under test.
    for (const event of large) await h.produce(h.config.TOPIC_EVENTS, [toMessage(event)]);
    await h.waitCaughtUp();
    expect(
      await h.count(`SELECT count() AS n FROM dead_letters_v2 FINAL WHERE reason_code = 'too_large'`),
    ).toBe(12);
    await first.ingestor.stop();
    await h.start({ config: { ...h.config, INGEST_MAX_MESSAGE_BYTES: 1024 * 1024 } });

    const deps = {
      clickhouse: h.clickhouse,
      producer: h.producer,
      keys: deadLetterKeys(h.config.DEAD_LETTER_KEY),
    };
    expect(await replayDeadLetters(deps, { reason: 'too_large' })).toHaveLength(12);
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(12);
    expect(await replayDeadLetters(deps, { reason: 'too_large' })).toEqual([]);
  });
});
