import { isMissingTable } from '@dossier/clickhouse';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { auditDetails } from '../auth/audit.ts';
import { queryRows } from '../clickhouse-rows.ts';
import {
  type EffectiveFigure,
  LoadRefused,
  type ParsedLoad,
  parseLoad,
  planLoad,
} from '../index766/external-load.ts';
import { lazyProducer } from '../lazy-producer.ts';
import type { MonitorContext } from './context.ts';
import { badRequest } from './dead-letters.route.ts';

/** Kafka and the topic the Decision 766 external figures go to (the ingestor stores them). */
export interface Index766ExternalDeps {
  kafka: Pick<Kafka, 'producer'>;
  topic: string;
}

export interface Index766ExternalRoutes {
  close(): Promise<void>;
}

export const MAX_CSV_BYTES = 16 * 1024 * 1024;

const LoadBody = z.strictObject({
  source: z.string().trim().min(1).max(500),
  csv: z.string().min(1).max(MAX_CSV_BYTES),
  dryRun: z.boolean().default(false),
  /** How long to wait for the ingestor to store the figures before answering (0: do not wait). */
  waitSeconds: z.number().int().min(0).max(600).default(60),
});

const EffectiveRow = z.object({
  key: z.string(),
  numerator: z.coerce.number(),
  denominator: z.coerce.number(),
  source: z.string(),
});

async function effectiveFigures(
  ctx: MonitorContext,
  parsed: ParsedLoad,
): Promise<Map<string, EffectiveFigure>> {
  if (parsed.valid.length === 0) return new Map();
  const figures = [...new Set(parsed.valid.map((v) => v.row.figure))];
  const starts = [...new Set(parsed.valid.map((v) => v.row.period_start))];
  const rows = await queryRows(
    ctx.clickhouse,
    {
      query: `SELECT concat(scope_kind, '|', scope_code, '|', period_kind, '|', toString(period_start), '|', figure, '|', dossier_code) AS key,
  toString(numerator) AS numerator, toString(denominator) AS denominator, source
FROM index766_external_latest_v1
WHERE figure IN {figures:Array(String)} AND period_start IN {starts:Array(Date)}`,
      query_params: { figures, starts },
    },
    EffectiveRow,
  );
  const keys = new Set(parsed.valid.map((v) => v.key));
  return new Map(rows.filter((r) => keys.has(r.key)).map((r) => [r.key, r]));
}

async function storedRows(ctx: MonitorContext, loadId: string): Promise<number> {
  const [row] = await queryRows(
    ctx.clickhouse,
    {
      query:
        'SELECT toString(uniqExact(csv_line)) AS n FROM index766_external_v1 WHERE load_id = {loadId:String}',
      query_params: { loadId },
    },
    z.object({ n: z.coerce.number() }),
  );
  return row?.n ?? 0;
}

/**
 * The operator's loader of published Decision 766 figures (docs/operations.md): a CSV in, one message per
 * line out to the index766-external topic, where the ingestor validates each line again and stores it or
 * dead-letters it. A POST, so behind the operator guard and in the audit like every loader.
 */
export function registerIndex766ExternalRoutes(
  app: FastifyInstance,
  ctx: MonitorContext,
  deps: Index766ExternalDeps,
): Index766ExternalRoutes {
  const producer = lazyProducer(deps.kafka);
  // Two loads at once would each compare against figures the other is about to change.
  let loading = false;

  app.post(
    '/api/index766/external',
    { config: { action: 'index766.external.load' }, bodyLimit: MAX_CSV_BYTES + 64 * 1024 },
    async (request, reply) => {
      const body = LoadBody.safeParse(request.body ?? {});
      if (!body.success) return badRequest(reply, body.error);
      if (loading)
        return reply.code(409).send({
          error: 'load_in_progress',
          message: 'another load of external figures is running; try again when it has finished',
        });
      loading = true;
      try {
        const { source, csv, dryRun, waitSeconds } = body.data;
        let parsed: ParsedLoad;
        try {
          parsed = parseLoad(csv);
        } catch (err) {
          if (!(err instanceof LoadRefused)) throw err;
          auditDetails(request, { source, refused: err.message });
          return reply.code(400).send({ error: 'csv_refused', message: err.message });
        }
        let effective = new Map<string, EffectiveFigure>();
        try {
          effective = await effectiveFigures(ctx, parsed);
        } catch (err) {
          if (!isMissingTable(err)) throw err;
        }
        const plan = planLoad(parsed, source, effective, ctx.now());
        if (!dryRun && plan.messages.length > 0)
          await (await producer.connected()).send({ topic: deps.topic, messages: plan.messages, acks: -1 });
        let stored = 0;
        if (!dryRun && plan.changed > 0 && waitSeconds > 0) {
          const until = Date.now() + waitSeconds * 1000;
          for (;;) {
            stored = await storedRows(ctx, plan.loadId);
            if (stored >= plan.changed || Date.now() >= until) break;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        const summary = {
          loadId: plan.loadId,
          loadedAt: plan.loadedAt,
          topic: deps.topic,
          dryRun,
          lines: plan.lines,
          changed: plan.changed,
          unchanged: plan.unchanged,
          stored,
          rejected: plan.rejected,
        };
        auditDetails(request, {
          source,
          loadId: plan.loadId,
          dryRun,
          lines: plan.lines,
          changed: plan.changed,
          unchanged: plan.unchanged,
          rejected: plan.rejected.length,
        });
        ctx.logger.info({ ...summary, rejected: plan.rejected.length }, 'index766 external figures loaded');
        return summary;
      } finally {
        loading = false;
      }
    },
  );

  return { close: producer.close };
}
