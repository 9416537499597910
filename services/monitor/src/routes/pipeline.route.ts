import { isMissingTable } from '@dossier/clickhouse';
import { deadLettersByReasonQuery, latestDeadLettersQuery } from '@dossier/dead-letters';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import { aggregationAgeQuery, ingestRateQuery } from '../queries/kpi.queries.ts';
import { maxValue, readMetric, sumBy, toPartitionLags } from '../registry-readers.ts';
import { type RatePoint, ratesFromSamples } from '../throughput.ts';
import type { MonitorContext } from './context.ts';

const ReasonRow = z.object({
  reason_code: z.string(),
  recent: z.coerce.number(),
  total: z.coerce.number(),
  last_rejected_at: z.string(),
});
const DeadLetterRow = z.object({
  source_topic: z.string(),
  source_partition: z.number(),
  source_offset: z.string(),
  reason_code: z.string(),
  reason_text: z.string(),
  value_bytes: z.number(),
  message_timestamp: z.string(),
  rejected_at: z.string(),
  topic_record: z.string(),
  topic_note: z.string(),
});
const RateRow = z.object({
  outcome: z.enum(['accepted', 'rejected']),
  minute: z.coerce.number(),
  rows: z.coerce.number(),
  last_minute: z.coerce.number(),
});
const AgeRow = z.object({ last_computed_at: z.string(), age_seconds: z.number().nullable() });

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

export function registerPipelineRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  app.get('/api/pipeline', async () => {
    const [throughput, lag, deadLetters, aggregation, queues, readiness] = await Promise.all([
      throughputPanel(ctx),
      lagPanel(ctx),
      deadLetterPanel(ctx),
      aggregationPanel(ctx),
      queuePanel(ctx),
      ctx.health.readiness(),
    ]);
    return { readiness, throughput, lag, deadLetters, aggregation, queues };
  });
}

/** Minutes of ingestion history the throughput chart shows when it is read from ClickHouse. */
export const INGEST_RATE_MINUTES = 30;

async function throughputPanel(ctx: MonitorContext) {
  // Embedded mode: the ingestor's counters are in this process's registry, sampled every few seconds.
  if (ctx.registry.getSingleMetric('ingestor_messages_total') !== undefined) {
    const totals = sumBy(await readMetric(ctx.registry, 'ingestor_messages_total'), 'outcome');
    const points = ratesFromSamples(ctx.throughputSamples());
    return {
      source: 'process' as const,
      totals: { accepted: totals.accepted ?? 0, rejected: totals.rejected ?? 0 },
      current: points.at(-1) ?? null,
      points,
    };
  }
  // Ingestors elsewhere: what ClickHouse stored and dead-lettered, per minute of ingestion.
  let rows: z.output<typeof RateRow>[] = [];
  try {
    rows = await queryRows(ctx.clickhouse, ingestRateQuery(INGEST_RATE_MINUTES), RateRow);
  } catch (err) {
    if (!isMissingTable(err)) throw err;
  }
  const nowMs = ctx.now().getTime();
  const firstMinute = Math.floor(nowMs / 60_000) - INGEST_RATE_MINUTES + 1;
  const points: RatePoint[] = Array.from({ length: INGEST_RATE_MINUTES }, (_, i) => ({
    at: (firstMinute + i) * 60_000,
    accepted: 0,
    rejected: 0,
  }));
  const totals = { accepted: 0, rejected: 0 };
  const lastMinute = { accepted: 0, rejected: 0 };
  for (const row of rows) {
    totals[row.outcome] += row.rows;
    lastMinute[row.outcome] += row.last_minute;
    const point = points[row.minute / 60 - firstMinute];
    if (point) point[row.outcome] = row.rows / 60;
  }
  return {
    source: 'clickhouse' as const,
    windowMinutes: INGEST_RATE_MINUTES,
    totals,
    current: { at: nowMs, accepted: lastMinute.accepted / 60, rejected: lastMinute.rejected / 60 },
    points,
  };
}

async function lagPanel(ctx: MonitorContext) {
  if (ctx.registry.getSingleMetric('ingestor_consumer_lag_messages') !== undefined) {
    const [lag, paused, progress] = await Promise.all([
      readMetric(ctx.registry, 'ingestor_consumer_lag_messages'),
      readMetric(ctx.registry, 'ingestor_paused_partitions'),
      readMetric(ctx.registry, 'ingestor_last_progress_timestamp_seconds'),
    ]);
    const lastProgress = maxValue(progress);
    return {
      source: 'process' as const,
      partitions: toPartitionLags(lag),
      pausedPartitions: maxValue(paused),
      lastProgressAgeSeconds:
        lastProgress === null || lastProgress === 0
          ? null
          : Math.max(0, ctx.now().getTime() / 1000 - lastProgress),
    };
  }
  // Ingestors elsewhere: the group's committed offsets against the topics' ends, from Kafka.
  if (ctx.groupLag) {
    const group = await ctx.groupLag.read();
    return {
      source: 'kafka' as const,
      partitions: group.partitions,
      group: { id: group.groupId, state: group.state, members: group.members },
      pausedPartitions: null,
      lastProgressAgeSeconds: null,
    };
  }
  return { source: null, partitions: [], pausedPartitions: null, lastProgressAgeSeconds: null };
}

async function deadLetterPanel(ctx: MonitorContext) {
  try {
    const [reasons, latest] = await Promise.all([
      queryRows(ctx.clickhouse, deadLettersByReasonQuery(24), ReasonRow),
      queryRows(ctx.clickhouse, latestDeadLettersQuery(ctx.config.MONITOR_DEAD_LETTER_SAMPLE), DeadLetterRow),
    ]);
    return {
      reasons: reasons.map((r) => ({
        reasonCode: r.reason_code,
        recent: r.recent,
        total: r.total,
        lastRejectedAt: r.last_rejected_at,
      })),
      latest: latest.map((r) => ({
        topic: r.source_topic,
        partition: r.source_partition,
        offset: r.source_offset,
        reasonCode: r.reason_code,
        reasonText: r.reason_text,
        bytes: r.value_bytes,
        messageTimestamp: r.message_timestamp,
        rejectedAt: r.rejected_at,
        topicRecord: r.topic_record,
        topicNote: r.topic_note,
      })),
    };
  } catch (err) {
    if (isMissingTable(err)) return { reasons: [], latest: [] };
    throw err;
  }
}

async function aggregationPanel(ctx: MonitorContext) {
  const ages = await readMetric(ctx.registry, 'aggregator_last_success_age_seconds');
  let stored: z.output<typeof AgeRow> | undefined;
  try {
    [stored] = await queryRows(ctx.clickhouse, aggregationAgeQuery(), AgeRow);
  } catch (err) {
    if (!isMissingTable(err)) throw err;
  }
  return {
    // The oldest KPI's age from the aggregator in this process; the table's age works in every mode.
    oldestKpiAgeSeconds: maxValue(ages),
    lastComputedAt: stored?.age_seconds === null ? null : (stored?.last_computed_at ?? null),
    ageSeconds: stored?.age_seconds ?? null,
  };
}

async function queuePanel(ctx: MonitorContext) {
  return Promise.all(
    ctx.queues.map(async (queue) => {
      const [counts, paused, schedulers] = await Promise.all([
        queue.getJobCounts(...JOB_STATES),
        queue.isPaused(),
        queue.getJobSchedulersCount(),
      ]);
      return { name: queue.name, paused, schedulers, counts };
    }),
  );
}
