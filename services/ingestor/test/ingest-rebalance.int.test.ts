import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submittedEvents, toMessage } from './factories.ts';
import { createHarness, type Harness, waitUntil } from './harness.ts';

async function accepted(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('ingestor_messages_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.outcome === 'accepted')
    .reduce((sum, v) => sum + v.value, 0);
}

describe('ingestor: two instances in one group', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 4 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('split the partitions, and rebalances mid-stream lose nothing', async () => {
    let produced = 0;
    let producing = true;
    const stream = (async () => {
      while (producing) {
        const events = submittedEvents(25);
        await h.produce(h.config.TOPIC_EVENTS, events.map(toMessage));
        produced += events.length;
        await new Promise((r) => setTimeout(r, 30));
      }
    })();

    const a = await h.start();
    await waitUntil('instance A is ingesting', async () => (await accepted(a.registry)) > 0);
    const b = await h.start(); // rebalance 1: B joins mid-stream
    await waitUntil(
      'instance B got partitions and is ingesting',
      async () => (await accepted(b.registry)) > 0,
    );
    const aBefore = await accepted(a.registry);
    await waitUntil(
      'instance A still ingests after the split',
      async () => (await accepted(a.registry)) > aBefore,
    );
    await a.ingestor.stop(); // rebalance 2: A leaves mid-stream, B takes over all partitions
    const bBefore = await accepted(b.registry);
    await waitUntil(
      'instance B ingests after A left',
      async () => (await accepted(b.registry)) > bBefore + 100,
    );
    producing = false;
    await stream;

    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(produced);
    expect(await h.dossierCount()).toBe(produced);
    // At-least-once: redelivery after a rebalance may count a message twice in the metrics, never zero times.
    expect((await accepted(a.registry)) + (await accepted(b.registry))).toBeGreaterThanOrEqual(produced);
  });
});
