// The hostile-input scenario's ingestor runs (hostile-input-run.ts): one ingestor in the suite's process
// over topics until every message is committed, for the throughput halves and the live freshness phases.
import type { ClickHouse } from '@dossier/clickhouse';
import { IngestorConfig, startIngestor } from '@dossier/ingestor';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import type { Kafka } from 'kafkajs';
import {
  type Freshness,
  LIVE_RATE_PER_SECOND,
  measureFreshness,
  producePaced,
} from './hostile-input-freshness.ts';
import { committedProgress } from './hostile-input-kafka.ts';
import type { PlannedMessage } from './hostile-messages.ts';

/** The dead-letter key and applicant-hash key of the scenario's ingestors. */
export const KEY = '7e'.repeat(32);
export const HASH_KEY = 'hostile-input-scenario-hash-key';

/** A run's topics and consumer group. */
export interface RunNames {
  events: string;
  dvcqg: string;
  catalog: string;
  deadLetter: string;
  group: string;
}

export interface RunFigures {
  seconds: number;
  crashed: boolean;
  stalled: boolean;
}

/**
 * One ingestor over `topics`, from start until every message is committed. A partition stalls when the
 * group commits nothing more for `stallMs` while some partition is behind: a bound on no progress, not
 * on speed, so a slow (loaded) machine does not fail the run.
 */
export async function ingest(
  kafka: Kafka,
  brokers: string[],
  clickhouse: ClickHouse,
  names: RunNames,
  stallMs: number,
  /** Runs once the ingestor started (a live producer); the run ends when it finished and all is committed. */
  during?: () => Promise<void>,
): Promise<RunFigures> {
  const config = IngestorConfig.parse({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_ID: names.group,
    KAFKA_CLIENT_ID: names.group,
    TOPIC_EVENTS: names.events,
    TOPIC_DVCQG: names.dvcqg,
    TOPIC_CATALOG: names.catalog,
    TOPIC_DEAD_LETTER: names.deadLetter,
    APPLICANT_HASH_KEY: HASH_KEY,
    DEAD_LETTER_KEY: KEY,
    LOG_LEVEL: 'error',
    RETRY_INITIAL_MS: '200',
    RETRY_MAX_MS: '2000',
  });
  const health = createHealth();
  const started = Date.now();
  const ingestor = await startIngestor({
    config,
    logger: createLogger({ service: 'hostile-input', level: 'silent' }),
    registry: createMetricsRegistry(),
    health,
    clickhouse,
    kafka,
  });
  let stalled = false;
  let finished = started;
  let producing = true;
  let failed: unknown;
  const live = (during ?? (async () => {}))().then(
    () => {
      producing = false;
    },
    (err: unknown) => {
      producing = false;
      failed = err;
    },
  );
  try {
    let last = { committed: -1, at: Date.now() };
    for (;;) {
      const now = await committedProgress(kafka, names.group, [names.events, names.dvcqg]);
      if (failed) throw failed;
      if (now.behind === 0 && !producing) break;
      if (now.committed !== last.committed) last = { committed: now.committed, at: Date.now() };
      else if (Date.now() - last.at > stallMs) {
        stalled = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    finished = Date.now();
  } finally {
    await live;
    await ingestor.stop();
  }
  const readiness = await health.readiness();
  const crashed = JSON.stringify(readiness).includes('consumer crashed');
  return { seconds: (finished - started) / 1000, crashed, stalled };
}

/**
 * One live phase: `plan` sent at LIVE_RATE_PER_SECOND to `names`' topics once the ingestor's group is
 * consuming (its join is not the events' wait), then every valid event's sent-to-queryable time.
 * Events stored before the phase (seeds can share dossiers and events) are left out of the measure.
 */
export async function liveFreshness(
  kafka: Kafka,
  brokers: string[],
  clickhouse: ClickHouse,
  names: RunNames,
  plan: { messages: PlannedMessage[] },
  stallMs: number,
): Promise<Freshness> {
  const before = await clickhouse.query({
    query: 'SELECT DISTINCT event_id FROM dossier_events_v1',
    format: 'JSONEachRow',
  });
  const known = new Set((await before.json<{ event_id: string }>()).map((r) => r.event_id));
  let sentAt = new Map<string, number>();
  await ingest(kafka, brokers, clickhouse, names, stallMs, async () => {
    await consuming(kafka, names.group);
    sentAt = await producePaced(kafka, names, plan.messages, LIVE_RATE_PER_SECOND);
  });
  return measureFreshness(clickhouse, names, plan.messages, sentAt, HASH_KEY, known);
}

/** Resolves once `group` is stable with a member (its partitions assigned). */
async function consuming(kafka: Kafka, group: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}
