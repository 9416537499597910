import { deadLetterKeys } from '@dossier/dead-letters';
import { createLogger } from '@dossier/observability';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBatchHandler } from '../src/batch-handler.ts';
import type { IngestorClickHouse } from '../src/clickhouse-writer.ts';
import { insertedRows } from '../src/compact-rows.ts';
import type { DeadLetterProducer } from '../src/dead-letters.ts';
import { createIngestorMetrics } from '../src/metrics.ts';
import { createPartitionBackoff } from '../src/partition-backoff.ts';
import { submittedEvents, TEST_DEAD_LETTER_KEY } from './factories.ts';

const TOPICS = { events: 'ev', dvcqg: 'dv', catalog: 'cat' };

function kafkaMessage(offset: number, value: string): KafkaMessage {
  return {
    key: null,
    value: Buffer.from(value),
    offset: String(offset),
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  };
}

interface Insert {
  table: string;
  rows: { event_id?: string }[];
  token: string;
}

function setup(
  options: { insert?: (i: Insert) => void | Promise<void>; send?: () => void; stale?: () => boolean } = {},
) {
  const inserts: Insert[] = [];
  const sent: unknown[] = [];
  const clickhouse: IngestorClickHouse = {
    insert: async (params) => {
      const insert = {
        table: params.table,
        rows: insertedRows(params) as Insert['rows'],
        token: String(params.clickhouse_settings?.insert_deduplication_token),
      };
      await options.insert?.(insert);
      inserts.push(insert);
      return { executed: true, query_id: 'q', summary: undefined, response_headers: {} };
    },
  };
  const producer: DeadLetterProducer = {
    send: async (record) => {
      options.send?.();
      sent.push(...record.messages);
      return [];
    },
  };
  const backoff = createPartitionBackoff({ initialMs: 60_000, maxMs: 60_000, random: () => 0 });
  let progress = 0;
  const handler = createBatchHandler({
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createIngestorMetrics(new Registry()),
    clickhouse,
    producer,
    deadLetterTopic: 'dlq',
    keys: deadLetterKeys(TEST_DEAD_LETTER_KEY),
    topicLimit: { current: () => ({ maxBatchBytes: 1_048_588, source: 'test' }) },
    guard: (p) => p,
    topicKinds: new Map([['ev', 'events']]),
    normalizeOptions: () => ({ topics: TOPICS, now: new Date(), applicantHashKey: 'k'.repeat(32) }),
    backoff,
    onProgress: () => {
      progress += 1;
    },
  });
  const resolved: string[] = [];
  let paused = 0;
  const run = (messages: KafkaMessage[]) =>
    handler({
      batch: {
        topic: 'ev',
        partition: 2,
        messages,
        firstOffset: () => messages[0]?.offset ?? null,
        lastOffset: () => messages[messages.length - 1]?.offset ?? '-1',
      },
      resolveOffset: (o: string) => resolved.push(o),
      heartbeat: async () => {},
      commitOffsetsIfNecessary: async () => {},
      pause: () => {
        paused += 1;
        return () => {};
      },
      isRunning: () => true,
      isStale: options.stale ?? (() => false),
    } as unknown as EachBatchPayload);
  return { run, inserts, sent, resolved, backoff, paused: () => paused, progress: () => progress };
}

const valid = (n: number, from = 0) =>
  submittedEvents(n).map((e, i) => kafkaMessage(from + i, JSON.stringify(e)));

describe('batch handler', () => {
  it('inserts once per table with a token from the offset range, then resolves the last offset', async () => {
    const t = setup();
    const messages = [...valid(3, 10), kafkaMessage(13, 'oops'), ...valid(2, 14)];
    expect(await t.run(messages)).toBe('committed');
    expect(t.inserts.map((i) => [i.table, i.rows.length, i.token])).toEqual([
      ['dossier_events_v1', 5, 'ev:2:10-15:dossier_events_v1'],
      ['dead_letters_v2', 1, 'ev:2:10-15:dead_letters_v2'],
    ]);
    expect(t.sent).toHaveLength(1);
    expect(t.resolved).toEqual(['15']);
    expect(t.progress()).toBe(1);
    t.backoff.stop();
  });

  it('sends the refused messages to the dead-letter topic while the rows are inserted', async () => {
    // The rows' insert is held until the dead-letter topic got the letter: one after the other, this
    // batch would never finish.
    let letterSent: () => void = () => {};
    const sentFirst = new Promise<void>((resolve) => {
      letterSent = resolve;
    });
    const t = setup({
      send: () => letterSent(),
      insert: (i) => (i.table === 'dossier_events_v1' ? sentFirst : undefined),
    });
    const outcome = await Promise.race([
      t.run([...valid(2, 0), kafkaMessage(2, 'oops')]),
      new Promise((resolve) => setTimeout(() => resolve('waited for each other'), 5_000)),
    ]);
    expect(outcome).toBe('committed');
    expect(t.inserts.map((i) => i.table).sort()).toEqual(['dead_letters_v2', 'dossier_events_v1']);
    expect(t.resolved).toEqual(['2']);
    t.backoff.stop();
  });

  it('resolves nothing and pauses the partition when the dead-letter topic fails', async () => {
    const t = setup({
      send: () => {
        throw Object.assign(new Error('down'), { name: 'KafkaJSConnectionError' });
      },
    });
    expect(await t.run([...valid(2), kafkaMessage(2, '')])).toBe('retry');
    expect(t.resolved).toEqual([]);
    expect(t.paused()).toBe(1);
    expect(t.backoff.pausedCount()).toBe(1);
    t.backoff.stop();
  });

  it('resolves nothing when ClickHouse is unreachable', async () => {
    const t = setup({
      insert: () => {
        throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
    });
    expect(await t.run(valid(4))).toBe('retry');
    expect(t.resolved).toEqual([]);
    expect(t.sent).toEqual([]);
    t.backoff.stop();
  });

  it('bisects refused rows down to the offending message and dead-letters it', async () => {
    const messages = valid(7);
    const badId = JSON.parse(messages[4]!.value!.toString()).id as string;
    const t = setup({
      insert: (i) => {
        if (i.table === 'dossier_events_v1' && i.rows.some((r) => r.event_id === badId)) {
          throw Object.assign(new Error('bad'), { code: '53', type: 'TYPE_MISMATCH' });
        }
      },
    });
    expect(await t.run(messages)).toBe('committed');
    const written = t.inserts.filter((i) => i.table === 'dossier_events_v1').flatMap((i) => i.rows);
    expect(written).toHaveLength(6);
    expect(written.map((r) => r.event_id)).not.toContain(badId);
    const letters = t.inserts.find((i) => i.table === 'dead_letters_v2')!.rows as unknown as {
      reason_code: string;
    }[];
    expect(letters.map((l) => l.reason_code)).toEqual(['clickhouse_rejected']);
    expect(t.resolved).toEqual(['6']);
    t.backoff.stop();
  });

  it('does not resolve a batch whose partition went stale (revoked or seeked) meanwhile', async () => {
    let calls = 0;
    const t = setup({ stale: () => ++calls > 1 });
    expect(await t.run(valid(2))).toBe('skipped');
    expect(t.resolved).toEqual([]);
    t.backoff.stop();
  });
});
