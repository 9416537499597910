import { isMissingTable } from '@dossier/clickhouse';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import { latestOperatorActionsQuery } from '../queries/operator-actions.queries.ts';
import type { MonitorContext } from './context.ts';

const Query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(20),
  action: z.string().min(1).max(200).optional(),
});

const Row = z.object({
  action_id: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  action: z.string(),
  method: z.string(),
  route: z.string(),
  target: z.string(),
  details: z.string(),
  credential_id: z.string(),
  auth_method: z.string(),
  remote_address: z.string(),
  status: z.coerce.number(),
  outcome: z.string(),
});

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text; // truncated details stay readable as text
  }
};

/** The audit trail, readable like the rest of the dashboard: who changed what, from where, and how it went. */
export function registerOperatorActionRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  app.get('/api/operator-actions', async (request, reply) => {
    const q = Query.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'bad_request', message: z.prettifyError(q.error) });
    let rows: z.output<typeof Row>[] = [];
    try {
      rows = await queryRows(ctx.clickhouse, latestOperatorActionsQuery(q.data.limit, q.data.action), Row);
    } catch (err) {
      if (!isMissingTable(err)) throw err;
    }
    return {
      actions: rows.map((r) => ({
        id: r.action_id,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        action: r.action,
        method: r.method,
        route: r.route,
        target: parsed(r.target),
        details: parsed(r.details),
        credentialId: r.credential_id,
        via: r.auth_method,
        remoteAddress: r.remote_address,
        status: r.status,
        outcome: r.outcome,
      })),
    };
  });
}
