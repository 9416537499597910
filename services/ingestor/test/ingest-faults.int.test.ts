import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestorClickHouse } from '../src/clickhouse-writer.ts';
import { insertedRows } from '../src/compact-rows.ts';
import { submittedEvents, toMessage } from './factories.ts';
import { createHarness, type Harness, waitUntil } from './harness.ts';

/** What a refused TCP connection looks like to the client: a Node system error with a code. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

describe('ingestor: ClickHouse failing for a while', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 3, config: { PROGRESS_MAX_AGE_MS: '1500' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('pauses, backs off, and once ClickHouse is back loses and duplicates nothing', async () => {
    let down = true;
    let refused = 0;
    const flaky: IngestorClickHouse = {
      insert: async (params) => {
        if (down) {
          refused += 1;
          throw connectionRefused();
        }
        return h.clickhouse.insert(params);
      },
    };
    const { registry, health } = await h.start({ clickhouse: flaky });
    await h.produce(h.config.TOPIC_EVENTS, submittedEvents(300).map(toMessage));
    await waitUntil('several inserts were refused', async () => refused >= 6);
    await waitUntil('readiness fails while stuck with lag', async () => !(await health.readiness()).ready);
    const during = await registry.metrics();
    expect(metricValue(during, 'ingestor_paused_partitions')).toBeGreaterThan(0);
    expect(during).toContain('ingestor_clickhouse_errors_total{code="ECONNREFUSED"}');
    expect(await h.caughtUp()).toBe(false);
    expect(await h.eventCount()).toBe(0);

    down = false;
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(300);
    expect(await h.dossierCount()).toBe(300);
    await waitUntil('readiness recovers', async () => (await health.readiness()).ready);
    const after = await registry.metrics();
    expect(after).toContain('ingestor_messages_total{topic_kind="events",outcome="accepted"} 300');
  });
});

describe('ingestor: lost acknowledgements, rows ClickHouse refuses, dead-letter topic down', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('re-sends a batch whose insert succeeded but whose answer was lost, without duplicating', async () => {
    let lost = 0;
    const ackLost: IngestorClickHouse = {
      insert: async (params) => {
        const result = await h.clickhouse.insert(params);
        if (lost < 2) {
          lost += 1;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return result;
      },
    };
    const { ingestor } = await h.start({ clickhouse: ackLost });
    await h.produce(h.config.TOPIC_EVENTS, submittedEvents(50).map(toMessage));
    await h.waitCaughtUp();
    expect(lost).toBe(2);
    expect(await h.eventCount()).toBe(50);
    expect(await h.dossierCount()).toBe(50);
    await ingestor.stop();
  });

  it('bisects a batch ClickHouse refuses and dead-letters only the offending row', async () => {
    const before = await h.eventCount();
    const events = submittedEvents(21);
    const bad = events[13]!;
    const refusing: IngestorClickHouse = {
      insert: async (params) => {
        const rows = insertedRows(params);
        if (params.table === 'dossier_events_v1' && rows.some((r) => r.event_id === bad.id)) {
          throw Object.assign(new Error('Cannot parse input'), {
            code: '27',
            type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
          });
        }
        return h.clickhouse.insert(params);
      },
    };
    const { ingestor } = await h.start({ clickhouse: refusing });
    await h.produce(h.config.TOPIC_EVENTS, events.map(toMessage));
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(before + 20);
    const rows = await h.openedDeadLetters();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reason_code).toBe('clickhouse_rejected');
    expect(rows[0]!.reason_text).toContain('code 27');
    expect(JSON.parse(rows[0]!.value!.toString()).id).toBe(bad.id);
    await ingestor.stop();
  });

  it('does not commit while the dead-letter topic cannot be written, then catches up', async () => {
    let failing = true;
    let attempts = 0;
    const producer: Pick<Producer, 'send'> = {
      send: async (record) => {
        attempts += 1;
        if (failing) throw Object.assign(new Error('broker unavailable'), { name: 'KafkaJSConnectionError' });
        return h.producer.send(record);
      },
    };
    const before = await h.eventCount();
    const events = submittedEvents(5).map(toMessage);
    const poison = { key: 'x', value: Buffer.from('[]') };
    await h.start({ producer });
    await h.produce(h.config.TOPIC_EVENTS, [...events, poison]);
    await waitUntil('the dead-letter write was retried', async () => attempts >= 3);
    expect(await h.caughtUp()).toBe(false);
    failing = false;
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(before + 5);
    expect(await h.count('SELECT count() AS n FROM dead_letters_v2 FINAL')).toBe(2);
  });
});
