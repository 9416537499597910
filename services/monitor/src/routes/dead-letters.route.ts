import { isMissingTable } from '@dossier/clickhouse';
import { type DeadLetterKeys, deadLetterListQuery, replayDeadLetters } from '@dossier/dead-letters';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kafka, Producer } from 'kafkajs';
import { z } from 'zod';
import { auditDetails } from '../auth/audit.ts';
import { queryRows } from '../clickhouse-rows.ts';
import { lazyProducer } from '../lazy-producer.ts';
import type { MonitorContext } from './context.ts';

/** What the operator routes need beyond the monitor's own clients: Kafka, to send letters back. */
export interface DeadLetterDeps {
  kafka: Pick<Kafka, 'producer'>;
  /** Opens the sealed payloads for a replay. */
  keys: DeadLetterKeys;
}

export interface DeadLetterRoutes {
  /** Disconnects the replay producer if a replay connected it. */
  close(): Promise<void>;
}

const instant = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 instant with a zone, e.g. 2026-11-26T00:00:00Z' })
  .transform((text) => new Date(text));

const selection = {
  since: instant.optional(),
  until: instant.optional(),
  reason: z.string().min(1).max(100).optional(),
  topic: z.string().min(1).max(249).optional(),
};

function sinceBeforeUntil(value: { since?: Date; until?: Date }, ctx: z.RefinementCtx): void {
  if (value.since && value.until && value.since >= value.until)
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
}

// Strict: a misspelt filter (`reasn`) must fail, not widen a replay to every letter.
const ListQuery = z
  .strictObject({ ...selection, limit: z.coerce.number().int().min(1).max(1000).default(100) })
  .superRefine(sinceBeforeUntil);
const ReplayBody = z
  .strictObject({
    ...selection,
    dryRun: z.boolean().default(false),
    /** Letters a second at most; absent: as fast as Kafka takes them. */
    ratePerSecond: z.number().positive().max(1_000_000).optional(),
  })
  .superRefine(sinceBeforeUntil);

const ListRow = z.object({
  topic: z.string(),
  part: z.number(),
  offset_text: z.string(),
  reason: z.string(),
  reason_detail: z.string(),
  bytes: z.number(),
  message_time: z.string(),
  rejected_time: z.string(),
  record_kind: z.string(),
  record_note: z.string(),
  replayed: z.union([z.boolean(), z.number()]).transform(Boolean),
  replayed_time: z.string().nullable(),
});

/** 400 with every schema problem of the request, each with its path. */
export function badRequest(reply: FastifyReply, error: z.ZodError) {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  return reply.code(400).send({
    error: 'bad_request',
    message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    issues,
  });
}

/** A dry run sends nothing, so it must not need Kafka. */
const NO_SEND: Pick<Producer, 'send'> = {
  send: () => Promise.reject(new Error('a dry run sends nothing')),
};

/**
 * Operator routes for rejected input: list it (never the payload: it may carry personal data) and replay
 * it through the ingestor's own replay, once per letter. Replay changes state, so it needs an operator credential.
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  ctx: MonitorContext,
  deps: DeadLetterDeps,
): DeadLetterRoutes {
  const replayProducer = lazyProducer(deps.kafka);
  // Two replays at once would both select the same unreplayed letters and send them twice.
  let replaying = false;

  app.get('/api/dead-letters', async (request, reply) => {
    const q = ListQuery.safeParse(request.query);
    if (!q.success) return badRequest(reply, q.error);
    const { limit, ...filter } = q.data;
    let rows: z.output<typeof ListRow>[] = [];
    try {
      rows = await queryRows(ctx.clickhouse, deadLetterListQuery(filter, limit), ListRow);
    } catch (err) {
      if (!isMissingTable(err)) throw err;
    }
    return {
      limit,
      more: rows.length > limit,
      letters: rows.slice(0, limit).map((r) => ({
        source_topic: r.topic,
        source_partition: r.part,
        source_offset: r.offset_text,
        reason_code: r.reason,
        reason_text: r.reason_detail,
        value_bytes: r.bytes,
        message_timestamp: r.message_time,
        rejected_at: r.rejected_time,
        // What the dead-letter topic holds: 'copy' (the original bytes), 'reference' (too large for the
        // topic: only a pointer; the bytes are sealed in the table) or 'none' (refused, topic_note says why).
        topic_record: r.record_kind,
        topic_note: r.record_note,
        replayed: r.replayed,
        replayed_at: r.replayed_time,
      })),
    };
  });

  // An operator route like every non-GET one: the monitor's guard checks the credential and audits it.
  app.post(
    '/api/dead-letters/replay',
    { config: { action: 'dead-letters.replay' } },
    async (request, reply) => {
      const body = ReplayBody.safeParse(request.body ?? {});
      if (!body.success) return badRequest(reply, body.error);
      if (replaying)
        return reply.code(409).send({
          error: 'replay_in_progress',
          message: 'another replay is running; try again when it has finished',
        });
      replaying = true;
      try {
        const filter = body.data;
        const sender = filter.dryRun ? NO_SEND : await replayProducer.connected();
        const letters = await replayDeadLetters(
          { clickhouse: ctx.clickhouse, producer: sender, keys: deps.keys },
          filter,
        );
        ctx.logger.info(
          {
            dryRun: filter.dryRun,
            count: letters.length,
            since: filter.since,
            until: filter.until,
            reason: filter.reason,
            topic: filter.topic,
            remote: request.ip,
          },
          'dead-letter replay',
        );
        auditDetails(request, { ...filter, count: letters.length });
        return { dryRun: filter.dryRun, count: letters.length, letters };
      } finally {
        replaying = false;
      }
    },
  );

  return {
    close: replayProducer.close,
  };
}
