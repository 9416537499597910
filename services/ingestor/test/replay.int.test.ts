import { deadLetterKeys, REPLAY_HEADER, replayDeadLetters } from '@dossier/dead-letters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEvent, PROCEDURE, submittedEvents, toMessage, uniqueDossierCode } from './factories.ts';
import { createHarness, type Harness } from './harness.ts';

describe('dead-letter replay', () => {
  let h: Harness;
  beforeAll(async () => {
    // The "bug" to fix later: a message cap too small for some legitimate events.
    h = await createHarness({ partitions: 2, config: { INGEST_MAX_MESSAGE_BYTES: '700' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function highWatermarkSum(topic: string): Promise<number> {
    const marks = await h.admin.fetchTopicOffsets(topic);
    return marks.reduce((sum, m) => sum + Number(m.high), 0);
  }

  it('brings corrected dead letters back exactly once, and only those selected', async () => {
    const large = Array.from({ length: 3 }, () =>
      canonicalEvent('submitted', uniqueDossierCode(), Date.now() - 86_400_000, {
        procedure_code: PROCEDURE,
        channel: 'online',
        note: 'x'.repeat(800), // unknown fields are accepted and dropped, but count towards the size cap
      }),
    );
    const normal = submittedEvents(5);
    const broken = [
      { key: 'k1', value: Buffer.from('{') },
      { key: 'k2', value: Buffer.from('not json') },
    ];
    const first = await h.start();
    await h.produce(h.config.TOPIC_EVENTS, [...normal, ...large].map(toMessage).concat(broken));
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(5);
    expect(await h.count('SELECT count() AS n FROM dead_letters_v2 FINAL')).toBe(5);

    // The fix: restart with a sane cap.
    await first.ingestor.stop();
    await h.start({ config: { ...h.config, INGEST_MAX_MESSAGE_BYTES: 1024 * 1024 } });

    const deps = {
      clickhouse: h.clickhouse,
      producer: h.producer,
      keys: deadLetterKeys(h.config.DEAD_LETTER_KEY),
    };
    const before = await highWatermarkSum(h.config.TOPIC_EVENTS);
    expect(await replayDeadLetters(deps, { until: new Date(Date.now() - 3_600_000) })).toEqual([]);
    const planned = await replayDeadLetters(deps, { reason: 'too_large', dryRun: true });
    expect(planned.map((l) => l.reason_code)).toEqual(['too_large', 'too_large', 'too_large']);
    expect(await highWatermarkSum(h.config.TOPIC_EVENTS)).toBe(before);

    const replayed = await replayDeadLetters(deps, { reason: 'too_large', topic: h.config.TOPIC_EVENTS });
    expect(replayed).toHaveLength(3);
    expect(await replayDeadLetters(deps, { reason: 'too_large' })).toEqual([]);
    expect(await highWatermarkSum(h.config.TOPIC_EVENTS)).toBe(before + 3);
    expect(await h.count('SELECT count() AS n FROM dead_letter_replays_v1 FINAL')).toBe(3);

    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(8);
    expect(await h.dossierCount()).toBe(8);
    const ids = await h.clickhouse.query({
      query:
        'SELECT event_id FROM dossier_events_v1 FINAL WHERE event_id IN {ids:Array(String)} ORDER BY event_id',
      query_params: { ids: large.map((e) => e.id) },
      format: 'JSONEachRow',
    });
    expect((await ids.json<{ event_id: string }>()).map((r) => r.event_id)).toEqual(
      large.map((e) => e.id).sort(),
    );
    // The broken JSON is still waiting for its own fix, untouched.
    expect(
      await h.count(`SELECT count() AS n FROM dead_letters_v2 FINAL WHERE reason_code = 'invalid_json'`),
    ).toBe(2);
    expect(REPLAY_HEADER).toBe('dlq-replay-of');
  });
});
