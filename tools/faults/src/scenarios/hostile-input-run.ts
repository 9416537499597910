// The hostile-input fault scenario's run (issue #13): valid traffic of both dialects interleaved with
// random bytes, truncated and deeply nested JSON, huge values, wrong types, control characters, dates out
// of range, duplicates and keys that are not dossier codes. Nothing may crash or stall a partition, every
// bad message must be a dead letter with a right reason, every valid one stored exactly once; the
// throughput is compared with the same number of clean messages, measured in the same run. It has an
// input, an ingestor (in the suite's process) and an embedded ClickHouse of its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, createClickHouse, migrate } from '@dossier/clickhouse';
import { DEAD_LETTERS_TABLE, deadLetterKeys, open, positionOf } from '@dossier/dead-letters';
import { createTopicsWithLeaders } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import type { Profile } from '../scenario.ts';
import { eventIdsOf, LIVE_RATE_PER_SECOND } from './hostile-input-freshness.ts';
import { HASH_KEY, ingest, KEY, liveFreshness } from './hostile-input-ingest.ts';
import { produce, SCENARIO_HEADER } from './hostile-input-kafka.ts';
import { planHostileMessages } from './hostile-messages.ts';

/**
 * How much slower hostile input's bytes may be ingested than clean input's (clean bytes/s ÷ hostile
 * bytes/s) before the long profile fails: every bad message is sealed and written twice (topic, table).
 * A bound per message could not hold: the hostile mix carries 200 KB and over-1 MiB values, 21.9 times
 * the bytes of a clean message on average at 100,000 messages (1.49 GB against 68 MB), so the per-message
 * factor follows the mix, not the ingestor (README.md, hostile-input).
 */
export const MAX_BYTE_THROUGHPUT_FACTOR = 2;

/** Messages per profile: the short one runs inside `npm test`, the long one is the operator's. */
export const PROFILES: Record<Profile, { messages: number; liveMessages: number }> = {
  short: { messages: 3_000, liveMessages: 200 },
  long: { messages: 100_000, liveMessages: 2_000 },
};

export interface ScenarioOptions {
  brokers: string[];
  profile: Profile;
  seed: string;
  /** Overrides the profile's message count. */
  messages?: number;
  log?: (line: string) => void;
}

export interface ScenarioResult {
  name: 'hostile-input';
  seed: string;
  ok: boolean;
  figures: Record<string, number | string>;
  problems: string[];
}

const INPUT_TOPIC_MAX_BYTES = '2000000';

async function scalar(
  clickhouse: ClickHouse,
  query: string,
  params: Record<string, unknown>,
): Promise<number> {
  const result = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  const rows = await result.json<{ n: number | string }>();
  return Number(rows[0]?.n ?? 0);
}

export async function runHostileInput(options: ScenarioOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => {});
  const total = options.messages ?? PROFILES[options.profile].messages;
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const kafka = new Kafka({
    clientId: `hostile-${run}`,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const dir = await mkdtemp(join(tmpdir(), 'dossier-chdb-hostile-'));
  const clickhouse = await createClickHouse({ url: `chdb:${dir}`, application: 'hostile-input' });
  const problems: string[] = [];
  try {
    await migrate(clickhouse);
    const names = (label: string) => ({
      events: `hostile-${label}-events-${run}`,
      dvcqg: `hostile-${label}-dvcqg-${run}`,
      catalog: `hostile-${label}-catalog-${run}`,
      deadLetter: `hostile-${label}-dlq-${run}`,
      group: `hostile-${label}-${run}`,
    });
    const hostile = names('bad');
    const clean = names('clean');
    const liveHostile = names('live-bad');
    const liveClean = names('live-clean');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const input = (topic: string) => ({
        topic,
        numPartitions: 3,
        configEntries: [{ name: 'max.message.bytes', value: INPUT_TOPIC_MAX_BYTES }],
      });
      const runs = [hostile, clean, liveHostile, liveClean];
      await createTopicsWithLeaders(admin, [
        ...runs.flatMap((n) => [input(n.events), input(n.dvcqg), input(n.catalog)]),
        // The dead-letter topics keep Kafka's default limit: the oversize letters must become references.
        ...runs.map((n) => ({ topic: n.deadLetter, numPartitions: 3 })),
      ]);
    } finally {
      await admin.disconnect();
    }

    const plan = planHostileMessages(options.seed, total);
    const cleanPlan = planHostileMessages(`${options.seed}:clean`, total, 0, 0);
    log(
      `hostile-input: ${plan.messages.length} messages (${plan.valid} valid, ${plan.duplicates} resent, ${
        plan.messages.length - plan.valid - plan.duplicates
      } bad), seed ${options.seed}`,
    );
    await produce(kafka, hostile, plan.messages);
    await produce(kafka, clean, cleanPlan.messages);
    const stallMs = 180_000;
    const cleanRun = await ingest(kafka, options.brokers, clickhouse, clean, stallMs);
    const badRun = await ingest(kafka, options.brokers, clickhouse, hostile, stallMs);

    const topics = [hostile.events, hostile.dvcqg];
    // Which events the valid messages are, by the input contract's identity (canonical id; DVCQG
    // MaHoSo, version, status): resends and identical snapshots are one event.
    const expectedIds = new Set<string>();
    for (const m of plan.messages) {
      if (m.expectedReasons) continue;
      const event = eventIdsOf(m, hostile, HASH_KEY);
      if (event.ok) for (const id of event.ids) expectedIds.add(id);
      else problems.push(`the simulator sent an invalid message ${m.id} (${event.code})`);
    }
    const storedIds = new Set(
      (
        await (
          await clickhouse.query({
            // Every topic: the clean run may carry the same events (same ids); the table then keeps one
            // row for both, from either topic.
            query: 'SELECT DISTINCT event_id FROM dossier_events_v1 FINAL',
            format: 'JSONEachRow',
          })
        ).json<{ event_id: string }>()
      ).map((r) => r.event_id),
    );
    const missing = [...expectedIds].filter((id) => !storedIds.has(id)).length;
    const stored = expectedIds.size - missing;
    const fromHostile = await clickhouse.query({
      query:
        'SELECT DISTINCT event_id FROM dossier_events_v1 FINAL WHERE source_topic IN {topics:Array(String)}',
      query_params: { topics },
      format: 'JSONEachRow',
    });
    const unexpected = (await fromHostile.json<{ event_id: string }>()).filter(
      (r) => !expectedIds.has(r.event_id),
    ).length;
    const storedRows = await scalar(
      clickhouse,
      'SELECT count() - uniqExact(event_id) AS n FROM dossier_events_v1 FINAL WHERE source_topic IN {topics:Array(String)}',
      { topics },
    );
    // Over every topic, as the events above: an event the clean run sent too (two seeds can give a
    // dossier the same code and events) is kept once, from either topic.
    const storedCodes = new Set(
      (
        await (
          await clickhouse.query({
            query: 'SELECT DISTINCT dossier_code FROM dossier_events_v1 FINAL',
            format: 'JSONEachRow',
          })
        ).json<{ dossier_code: string }>()
      ).map((r) => r.dossier_code),
    );
    const dossiers = [...plan.dossiers].filter((code) => storedCodes.has(code)).length;

    // Every dead letter, opened, matched to what was sent by its scenario header.
    const keys = deadLetterKeys(KEY);
    const reasons = new Map<string, string>();
    const topicRecords: Record<string, number> = {};
    for (let offset = 0; ; offset += 2_000) {
      const result = await clickhouse.query({
        query: `SELECT source_topic, source_partition, toString(source_offset) AS source_offset, reason_code,
            topic_record, payload_key_id, payload_sealed
          FROM ${DEAD_LETTERS_TABLE} FINAL WHERE source_topic IN {topics:Array(String)}
          ORDER BY source_topic, source_partition, source_offset LIMIT 2000 OFFSET {offset:UInt64}`,
        query_params: { topics, offset },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{
        source_topic: string;
        source_partition: number;
        source_offset: string;
        reason_code: string;
        topic_record: string;
        payload_key_id: string;
        payload_sealed: string;
      }>();
      if (rows.length === 0) break;
      for (const r of rows) {
        const original = open(
          keys,
          r.payload_key_id,
          positionOf(r.source_topic, r.source_partition, r.source_offset),
          r.payload_sealed,
        );
        const id = original.headers.find(([name]) => name === SCENARIO_HEADER)?.[1].toString();
        reasons.set(id ?? `unknown:${r.source_offset}`, r.reason_code);
        topicRecords[r.topic_record] = (topicRecords[r.topic_record] ?? 0) + 1;
      }
    }
    let badLettered = 0;
    let wrongReason = 0;
    let validLettered = 0;
    const badCount = plan.messages.filter((m) => m.expectedReasons).length;
    for (const m of plan.messages) {
      const reason = reasons.get(m.id);
      if (m.expectedReasons) {
        if (reason === undefined) problems.push(`bad message ${m.id} was not dead-lettered`);
        else {
          badLettered += 1;
          if (!m.expectedReasons.includes(reason)) {
            wrongReason += 1;
            if (wrongReason <= 5)
              problems.push(`bad message ${m.id}: reason ${reason}, expected ${m.expectedReasons.join('|')}`);
          }
        }
      } else if (reason !== undefined) {
        validLettered += 1;
        if (validLettered <= 5) problems.push(`valid message ${m.id} was dead-lettered (${reason})`);
      }
    }
    const lostValid = missing + validLettered;
    const crashes = Number(cleanRun.crashed) + Number(badRun.crashed);
    if (crashes > 0) problems.push('the consumer crashed');
    if (cleanRun.stalled || badRun.stalled)
      problems.push('a partition stalled: no offset committed for 3 minutes while behind');
    if (missing > 0) problems.push(`${missing} valid events were not stored`);
    if (unexpected > 0) problems.push(`${unexpected} stored events were never sent as valid input`);
    if (storedRows !== 0) problems.push(`${storedRows} events stored more than once`);
    if (dossiers !== plan.dossiers.size)
      problems.push(`stored ${dossiers} dossiers, expected ${plan.dossiers.size}`);
    if (wrongReason > 0) problems.push(`${wrongReason} dead letters with an unexpected reason`);
    // Letters over the dead-letter topic's limit travel there as references, every one of them.
    if ((topicRecords.reference ?? 0) !== (plan.bad.oversize ?? 0))
      problems.push(
        `${topicRecords.reference ?? 0} dead letters went to the topic as references, expected ${plan.bad.oversize ?? 0} (the oversize ones)`,
      );
    const cleanRate = total / cleanRun.seconds;
    const badRate = plan.messages.length / badRun.seconds;
    const factor = cleanRate / badRate;
    const bytesOf = (ms: readonly { value: Buffer }[]) => ms.reduce((n, m) => n + m.value.length, 0);
    const cleanBytes = bytesOf(cleanPlan.messages);
    const badBytes = bytesOf(plan.messages);
    const byteFactor = cleanBytes / cleanRun.seconds / (badBytes / badRun.seconds);
    const mbPerS = (bytes: number, seconds: number) => Number((bytes / seconds / 1e6).toFixed(2));
    // Judged on the long profile only: a few thousand messages measure mostly the group's join.
    if (options.profile === 'long' && byteFactor > MAX_BYTE_THROUGHPUT_FACTOR)
      problems.push(
        `hostile input's bytes ingested ${byteFactor.toFixed(2)} times slower than clean input's (${mbPerS(badBytes, badRun.seconds)} vs ${mbPerS(cleanBytes, cleanRun.seconds)} MB/s); at most ${MAX_BYTE_THROUGHPUT_FACTOR} is accepted`,
      );
    // Freshness, live: the same pace of clean and of hostile input while the ingestor runs (after the
    // checks above, which read every topic's events).
    const liveCount = PROFILES[options.profile].liveMessages;
    const livePlan = planHostileMessages(`${options.seed}:live`, liveCount);
    const liveCleanPlan = planHostileMessages(`${options.seed}:live-clean`, liveCount, 0, 0);
    const cleanFresh = await liveFreshness(
      kafka,
      options.brokers,
      clickhouse,
      liveClean,
      liveCleanPlan,
      stallMs,
    );
    const badFresh = await liveFreshness(kafka, options.brokers, clickhouse, liveHostile, livePlan, stallMs);
    for (const [label, f] of [
      ['clean', cleanFresh],
      ['hostile', badFresh],
    ] as const)
      if (f.missing > 0)
        problems.push(`${f.missing} valid events sent live with ${label} input were not stored`);
    const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
    return {
      name: 'hostile-input',
      seed: options.seed,
      ok: problems.length === 0,
      problems,
      figures: {
        messages: plan.messages.length,
        valid_sent: plan.valid,
        resent_duplicates: plan.duplicates,
        bad_sent: badCount,
        ...Object.fromEntries(Object.entries(plan.bad).map(([k, v]) => [`bad_${k}`, v])),
        crashes,
        stalled_partitions: Number(badRun.stalled),
        valid_events_expected: expectedIds.size,
        valid_events_stored: stored,
        lost_valid_events: lostValid,
        double_counted: storedRows,
        dead_lettered: badLettered,
        dead_letters_with_expected_reason: badLettered - wrongReason,
        dead_letters_topic_copy: topicRecords.copy ?? 0,
        dead_letters_topic_reference: topicRecords.reference ?? 0,
        dead_letters_topic_none: topicRecords.none ?? 0,
        clean_msgs_per_s: Math.round(cleanRate),
        hostile_msgs_per_s: Math.round(badRate),
        throughput_factor: Number(factor.toFixed(2)),
        bytes_per_message_ratio: Number((badBytes / plan.messages.length / (cleanBytes / total)).toFixed(2)),
        clean_mb_per_s: mbPerS(cleanBytes, cleanRun.seconds),
        hostile_mb_per_s: mbPerS(badBytes, badRun.seconds),
        byte_throughput_factor: Number(byteFactor.toFixed(2)),
        byte_throughput_factor_max:
          options.profile === 'long' ? MAX_BYTE_THROUGHPUT_FACTOR : 'not judged (short)',
        live_messages_per_s: LIVE_RATE_PER_SECOND,
        live_valid_events_clean: cleanFresh.events,
        live_valid_events_hostile: badFresh.events,
        freshness_clean_p50_s: seconds(cleanFresh.p50Ms),
        freshness_clean_p99_s: seconds(cleanFresh.p99Ms),
        freshness_hostile_p50_s: seconds(badFresh.p50Ms),
        freshness_hostile_p99_s: seconds(badFresh.p99Ms),
        freshness_hostile_max_s: seconds(badFresh.maxMs),
      },
    };
  } finally {
    await clickhouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
