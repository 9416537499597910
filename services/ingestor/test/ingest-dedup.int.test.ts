import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalEvent,
  dossierLifecycle,
  submittedEvents,
  toMessage,
  uniqueDossierCode,
} from './factories.ts';
import { createHarness, type Harness, waitUntil } from './harness.ts';

describe('ingestor: duplicates change no count', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ingests a dossier lifecycle and collapses an event sent twice', async () => {
    const subject = uniqueDossierCode();
    const events = dossierLifecycle(subject);
    const resent = events[1]!;
    await h.produce(h.config.TOPIC_EVENTS, [...events, resent].map(toMessage));
    await h.start();
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(events.length);
    expect(await h.dossierCount()).toBe(1);
    const rows = await h.clickhouse.query({
      query:
        'SELECT finish_kind, paid_online, length(supplement_requested_at) AS s FROM dossiers_v1 WHERE dossier_code = {c:String}',
      query_params: { c: subject },
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([{ finish_kind: 'resolved', paid_online: 1, s: 1 }]);
  });

  it('ignores a canonical event with the same id sent again later', async () => {
    const before = await h.eventCount();
    const first = canonicalEvent('submitted', uniqueDossierCode(), Date.now() - 3_600_000, {
      procedure_code: '1.000494.000.00.00.H29',
      channel: 'direct',
    });
    await h.produce(h.config.TOPIC_EVENTS, [toMessage(first)]);
    await h.waitCaughtUp();
    await h.produce(h.config.TOPIC_EVENTS, [toMessage(first)]);
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(before + 1);
  });
});

describe('ingestor: a batch redelivered after a crash before commit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1, config: { SHUTDOWN_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes the batch, dies before committing, and the next instance re-inserts nothing', async () => {
    const events = submittedEvents(40);
    await h.produce(h.config.TOPIC_EVENTS, events.map(toMessage));
    let inserted = 0;
    let releaseHang: () => void = () => {};
    // The "crash": ClickHouse acknowledges the insert, then this instance never gets to commit.
    const crashing = await h.start({
      clickhouse: {
        insert: async (params) => {
          const result = await h.clickhouse.insert(params);
          inserted += 1;
          await new Promise<void>((resolve) => {
            releaseHang = resolve;
          });
          return result;
        },
      },
    });
    await waitUntil('the first insert landed', async () => inserted === 1);
    await crashing.ingestor.stop(); // abandons the batch at the shutdown deadline: offsets stay uncommitted
    expect(await h.caughtUp()).toBe(false);
    expect(await h.rawEventCount()).toBe(40);

    await h.start();
    await h.waitCaughtUp();
    releaseHang();
    expect(await h.eventCount()).toBe(40);
    expect(await h.dossierCount()).toBe(40);
    // Same offsets, same deduplication token: ClickHouse dropped the second block entirely.
    expect(await h.rawEventCount()).toBe(40);
  });
});
