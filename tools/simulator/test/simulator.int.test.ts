import { normalizeMessage } from '@dossier/schemas';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { testKafka } from '../../../test/support/kafka.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { createSimulator } from '../src/simulator.ts';

describe('live simulator against a real broker', { timeout: 180_000 }, () => {
  it('sends the catalog, then contract-valid traffic in both dialects at the asked rate, never a future fact', async () => {
    const { kafka, createTopics, uniqueName } = testKafka();
    const topics = {
      events: uniqueName('sim-events'),
      dvcqg: uniqueName('sim-dvcqg'),
      catalog: uniqueName('sim-catalog'),
    };
    await createTopics(Object.values(topics));
    const registry = new Registry();
    const simulator = createSimulator({
      kafka,
      topics,
      rate: 400,
      durationSec: 3,
      seed: 'int',
      dvcqgShare: 0.5,
      faults: { duplicate: 0, outOfOrder: 0.1, malformed: 0 },
      logger: testLogger('simulator'),
      registry,
      tickMs: 50,
    });
    const stats = await simulator.run();
    expect(stats.byTopic.catalog).toBeGreaterThan(500);
    expect(stats.byTopic.events).toBeGreaterThan(0);
    expect(stats.byTopic.dvcqg).toBeGreaterThan(0);
    // The budget allows one second's worth beyond the elapsed time, plus one dossier's burst.
    expect(stats.messages - stats.byTopic.catalog).toBeLessThanOrEqual(400 * 4 + 50);

    const consumer = kafka.consumer({ groupId: uniqueName('sim-check') });
    await consumer.connect();
    await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
    const received: {
      topic: string;
      partition: number;
      offset: string;
      timestamp: string;
      key: Buffer | null;
      value: Buffer | null;
    }[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          received.push({
            topic,
            partition,
            offset: message.offset,
            timestamp: message.timestamp,
            key: message.key,
            value: message.value,
          });
          if (received.length >= stats.messages) resolve();
        },
      });
    });
    await consumer.disconnect();

    const now = new Date();
    const rejected = received.filter((m) => {
      const result = normalizeMessage(
        { ...m, headers: {} },
        { topics, now, futureToleranceMs: 0, applicantHashKey: 'k'.repeat(16) },
      );
      return !result.ok;
    });
    expect(rejected).toEqual([]);
    const counted =
      (await registry.getSingleMetricAsString('simulator_messages_total')).match(/ (\d+)$/gm) ?? [];
    expect(counted.reduce((s, n) => s + Number(n), 0)).toBe(stats.messages);
  });
});
