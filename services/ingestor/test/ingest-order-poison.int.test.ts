import { DLQ_HEADERS } from '@dossier/dead-letters';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dossierLifecycle, submittedEvents, toMessage, uniqueDossierCode } from './factories.ts';
import { createHarness, type Harness, waitUntil } from './harness.ts';

const STATE_COLUMNS = `agency_code, procedure_code, channel, submitted_at, received_at, due_at, finished_at, finish_kind,
  fee_vnd, paid_online, payment_channel, supplement_requested_at, supplement_received_at, components_digitized,
  result_digitized, rating_satisfied, rating_score, applicant_kind, applicant_hash, last_version`;

describe('ingestor: arrival order and poison messages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
    await h.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('gives the same dossier state whether its events arrive in order or reversed', async () => {
    const startMs = Date.now() - 40 * 86_400_000;
    const inOrder = dossierLifecycle(uniqueDossierCode(), startMs);
    const reversedCode = uniqueDossierCode();
    const reversed = dossierLifecycle(reversedCode, startMs).reverse();
    await h.produce(h.config.TOPIC_EVENTS, inOrder.map(toMessage));
    await h.produce(h.config.TOPIC_EVENTS, reversed.map(toMessage));
    await h.waitCaughtUp();
    const state = async (code: string) => {
      const result = await h.clickhouse.query({
        query: `SELECT ${STATE_COLUMNS} FROM dossiers_v1 WHERE dossier_code = {code:String}`,
        query_params: { code },
        format: 'JSONEachRow',
      });
      return result.json<Record<string, unknown>>();
    };
    const a = await state(inOrder[0]!.subject);
    const b = await state(reversedCode);
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
    expect(a[0]).toMatchObject({
      finish_kind: 'resolved',
      channel: 'online',
      fee_vnd: 50_000,
      rating_score: 5,
    });
  });

  it('dead-letters a poison message mid-batch while its neighbours are ingested and the partition flows on', async () => {
    const before = await h.eventCount();
    const good = submittedEvents(10);
    const poison = {
      key: 'H29.105-250304-9',
      value: Buffer.from('{"specversion":"1.0", not json'),
      headers: { trace: 't-1' },
    };
    await h.produce(h.config.TOPIC_EVENTS, [
      ...good.slice(0, 5).map(toMessage),
      poison,
      ...good.slice(5).map(toMessage),
    ]);
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(before + 10);

    const rows = await h.openedDeadLetters();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source_topic: h.config.TOPIC_EVENTS,
      key: Buffer.from(poison.key),
      value: poison.value,
      reason_code: 'invalid_json',
      topic_record: 'copy',
      headers: [['trace', Buffer.from('t-1')]],
    });

    const dlq: KafkaMessage[] = [];
    const consumer = h.kafka.consumer({ groupId: `${h.config.KAFKA_GROUP_ID}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topics: [h.config.TOPIC_DEAD_LETTER], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        dlq.push(message);
      },
    });
    await waitUntil('the dead letter was read back', async () => dlq.length >= 1);
    await consumer.disconnect();
    expect(dlq).toHaveLength(1);
    const letter = dlq[0]!;
    expect(letter.value).toEqual(poison.value);
    expect(letter.key?.toString()).toBe(poison.key);
    expect(letter.headers?.[DLQ_HEADERS.reasonCode]?.toString()).toBe('invalid_json');
    expect(letter.headers?.[DLQ_HEADERS.sourceTopic]?.toString()).toBe(h.config.TOPIC_EVENTS);
    expect(letter.headers?.[DLQ_HEADERS.sourceOffset]?.toString()).toBe(String(rows[0]!.source_offset));
    expect(letter.headers?.trace?.toString()).toBe('t-1');

    // The partition keeps flowing after the poison message.
    await h.produce(h.config.TOPIC_EVENTS, submittedEvents(3).map(toMessage));
    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(before + 13);
  });
});
