// Every operator action leaves one row in operator_actions_v1 (append-only) and two log lines.
// Crash-safety, as chosen: the action does not run unless ClickHouse answers first (fail closed), and a
// "started" line with the action id is logged before it runs; the row (with the result) is written before
// the response leaves, retried a few times. An action whose row could not be written, or whose process
// died mid-way, is still in the log under its id, and a failed write is counted (monitor_audit_failures_total).
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import type { Logger } from '@dossier/observability';
import { formatUtc } from '@dossier/schemas';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for an operator action that passed the guard; handlers may add `details` for the audit. */
    operatorAction?: { id: string; startedAt: Date; details: Record<string, unknown> };
  }
}

export const OPERATOR_ACTIONS_TABLE = 'operator_actions_v1';
export const ACTION_OUTCOMES = ['ok', 'rejected', 'failed'] as const;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];

export interface OperatorActionRow {
  action_id: string;
  started_at: string;
  finished_at: string;
  action: string;
  method: string;
  route: string;
  target: string;
  details: string;
  credential_id: string;
  auth_method: string;
  remote_address: string;
  status: number;
  outcome: ActionOutcome;
}

export interface OperatorAuditDeps {
  clickhouse: ClickHouse;
  logger: Logger;
  actions: Counter<'outcome'>;
  failures: Counter;
  now?: () => Date;
  /** Delays between write attempts; the number of retries is its length. */
  retryDelaysMs?: readonly number[];
}

const MAX_TEXT = 4_096;
const jsonText = (value: unknown) => {
  const text = JSON.stringify(value ?? {});
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
};

export function outcomeOf(status: number): ActionOutcome {
  if (status >= 500) return 'failed';
  return status >= 400 ? 'rejected' : 'ok';
}

/** Adds details to the audit row of the operator action this request is (no-op for other requests). */
export function auditDetails(request: FastifyRequest, details: Record<string, unknown>): void {
  if (request.operatorAction) Object.assign(request.operatorAction.details, details);
}

/** Installs the audit hooks; after the access hooks, so only requests that passed the guard are actions. */
export function installOperatorAudit(app: FastifyInstance, deps: OperatorAuditDeps): void {
  const { clickhouse, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const delays = deps.retryDelaysMs ?? [200, 1_000, 3_000];

  async function write(row: OperatorActionRow): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await clickhouse.insert({ table: OPERATOR_ACTIONS_TABLE, values: [row], format: 'JSONEachRow' });
        return true;
      } catch (err) {
        const delay = delays[attempt];
        if (delay === undefined) {
          logger.error({ err, ...row }, 'operator action not audited');
          return false;
        }
        logger.warn({ err, actionId: row.action_id, attempt }, 'audit write failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    const { access, action } = request.routeOptions.config;
    if (access !== 'operate' || !request.principal) return;
    let reachable = false;
    try {
      reachable = (await clickhouse.ping()).success;
    } catch {
      reachable = false;
    }
    if (!reachable) {
      deps.failures.inc();
      logger.error(
        { action, remote: request.ip },
        'operator action refused: the audit table cannot be written',
      );
      return reply.code(503).send({
        error: 'audit_unavailable',
        message: 'ClickHouse does not answer, so this action could not be audited: nothing was changed',
      });
    }
    request.operatorAction = { id: randomUUID(), startedAt: now(), details: {} };
    logger.info(
      {
        actionId: request.operatorAction.id,
        action,
        credentialId: request.principal.credentialId,
        remote: request.ip,
      },
      'operator action started',
    );
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const started = request.operatorAction;
    const principal = request.principal;
    if (!started || !principal) return payload;
    request.operatorAction = undefined; // one row, even if onSend ran twice
    const status = reply.statusCode;
    const row: OperatorActionRow = {
      action_id: started.id,
      started_at: formatUtc(started.startedAt.getTime()),
      finished_at: formatUtc(now().getTime()),
      action: request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url}`,
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      target: jsonText(request.params),
      details: jsonText(started.details),
      credential_id: principal.credentialId,
      auth_method: principal.via,
      remote_address: request.ip,
      status,
      outcome: outcomeOf(status),
    };
    deps.actions.inc({ outcome: row.outcome });
    if (await write(row)) logger.info({ ...row }, 'operator action');
    else {
      deps.failures.inc();
      reply.header('x-audit', 'failed');
    }
    return payload;
  });
}
