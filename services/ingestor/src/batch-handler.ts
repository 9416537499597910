import { createHash } from 'node:crypto';
import { CLICKHOUSE_REJECTED, type TopicOutcome } from '@dossier/dead-letters';
import type { Logger } from '@dossier/observability';
import type { NormalizeOptions } from '@dossier/schemas';
import type { EachBatchPayload } from 'kafkajs';
import { writeTable } from './clickhouse-writer.ts';
import type { TopicKind } from './config.ts';
import { type DeadLetter, type DeadLetterDeps, writeDeadLetters } from './dead-letters.ts';
import { classifyError, describeClickHouseRejection } from './errors.ts';
import type { PartitionBackoff } from './partition-backoff.ts';
import { prepareBatch } from './prepare-batch.ts';

export interface BatchHandlerDeps extends DeadLetterDeps {
  logger: Logger;
  topicKinds: ReadonlyMap<string, TopicKind>;
  normalizeOptions: () => NormalizeOptions;
  backoff: PartitionBackoff;
  /** Called after each committed batch: feeds /readyz and the last-progress gauge. */
  onProgress: () => void;
}

type Outcome = 'committed' | 'retry' | 'skipped';

/**
 * kafkajs `eachBatch` (with eachBatchAutoResolve: false) for one partition's batch:
 * normalize → one insert per table, alongside the refused messages' dead letters (topic, then table) →
 * dead letters of rows ClickHouse refused → resolve + commit.
 * Offsets move only after every write was acknowledged; a failed write pauses the partition and the
 * same offsets are fetched again after a backoff. Heartbeat and commit run outside the write `try`,
 * so their rebalance errors reach kafkajs, which rejoins the group.
 */
export function createBatchHandler(deps: BatchHandlerDeps) {
  const { logger, metrics } = deps;
  return async function eachBatch(payload: EachBatchPayload): Promise<Outcome> {
    const { batch, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    // Do not start a batch we would not finish: stopping or the partition was seeked/revoked.
    if (batch.messages.length === 0 || !isRunning() || isStale()) return 'skipped';
    const prepared = prepareBatch(batch, deps.normalizeOptions());
    const kind = deps.topicKinds.get(topic) ?? 'events';
    const letters: DeadLetter[] = prepared.rejected.map((r) => ({ topic, partition, ...r }));
    let accepted = prepared.messageCount - prepared.rejected.length;
    let topicRecords: TopicOutcome[] = [];
    // The letters the normalizer refused go to the topic and table while the rows are inserted: both
    // must be acknowledged before the offsets move, neither depends on the other, so a batch of hostile
    // input waits for the slower of the two instead of their sum.
    const rejectedEarly = writeDeadLetters(deps, letters.slice(), prepared.tokenBase);
    // Its failure is handled where it is awaited below; until then it must not count as unhandled (node
    // reports a rejection that has no handler yet while the inserts are still running).
    rejectedEarly.catch(() => {});
    const refusedByClickHouse: DeadLetter[] = [];
    try {
      let stale = false;
      try {
        for (const { table, entries } of prepared.tables) {
          const failures = await writeTable(deps, table, entries, `${prepared.tokenBase}:${table}`);
          const refused = new Map<number, unknown>();
          for (const f of failures)
            if (!refused.has(f.entry.messageIndex)) refused.set(f.entry.messageIndex, f.error);
          for (const [messageIndex, error] of refused) {
            const message = batch.messages[messageIndex];
            if (!message) continue;
            refusedByClickHouse.push({
              topic,
              partition,
              message,
              rejection: { code: CLICKHOUSE_REJECTED, reason: describeClickHouseRejection(error) },
            });
            accepted -= 1;
          }
          // Rows already written are harmless if we stop here: a redelivery deduplicates them.
          if (isStale()) {
            stale = true;
            break;
          }
        }
      } finally {
        // No write of this batch may still be running when it is retried or given up.
        await Promise.allSettled([rejectedEarly]);
      }
      if (stale) return 'skipped';
      topicRecords = await rejectedEarly;
      if (refusedByClickHouse.length > 0) {
        // Which rows ClickHouse refuses may differ on a retry: the token names the letters it holds.
        const offsets = refusedByClickHouse.map((l) => l.message.offset).join(',');
        const token = `${prepared.tokenBase}:refused-${createHash('sha256').update(offsets).digest('hex').slice(0, 16)}`;
        topicRecords = topicRecords.concat(await writeDeadLetters(deps, refusedByClickHouse, token));
        letters.push(...refusedByClickHouse);
      }
    } catch (error) {
      const classified = classifyError(error);
      if (classified.kind === 'abandoned') {
        logger.warn({ topic, partition, firstOffset: batch.firstOffset() }, 'in-flight batch abandoned');
        return 'skipped';
      }
      if (!isRunning()) return 'skipped';
      const delayMs = deps.backoff.failed(topic, partition, payload.pause);
      logger.warn(
        { topic, partition, firstOffset: batch.firstOffset(), code: classified.code, delayMs, err: error },
        'batch write failed, partition paused',
      );
      return 'retry';
    }
    if (isStale()) return 'skipped';
    // A named checkpoint (the fault suite aims a SIGKILL at it): rows stored, offset not committed yet.
    logger.debug({ topic, partition, lastOffset: batch.lastOffset(), accepted }, 'batch stored');
    payload.resolveOffset(batch.lastOffset());
    await payload.commitOffsetsIfNecessary();
    metrics.batchSize.observe(prepared.messageCount);
    metrics.messages.inc({ topic_kind: kind, outcome: 'accepted' }, accepted);
    if (letters.length > 0) {
      metrics.messages.inc({ topic_kind: kind, outcome: 'rejected' }, letters.length);
      for (const letter of letters) metrics.deadLetters.inc({ reason: letter.rejection.code });
      for (const record of topicRecords) metrics.deadLetterTopic.inc({ record: record.record });
      const passed = topicRecords.filter((r) => r.record === 'none').length;
      if (passed > 0)
        logger.warn(
          { topic, partition, count: passed },
          'dead letters the topic refused, kept in the table only',
        );
      logger.info({ topic, partition, count: letters.length }, 'messages dead-lettered');
    }
    deps.backoff.succeeded(topic, partition);
    deps.onProgress();
    await payload.heartbeat();
    return 'committed';
  };
}
