import { Counter, type Registry } from 'prom-client';
import { DENIAL_REASONS } from './auth/access.ts';
import { ACTION_OUTCOMES } from './auth/audit.ts';

export const ANALYST_QUERY_OUTCOMES = ['ok', 'error', 'rejected'] as const;
export type AnalystQueryOutcome = (typeof ANALYST_QUERY_OUTCOMES)[number];

export interface MonitorMetrics {
  httpRequests: Counter<'route' | 'status_class'>;
  analystQueries: Counter<'outcome'>;
  authDenials: Counter<'reason'>;
  operatorActions: Counter<'outcome'>;
  auditFailures: Counter;
}

/** A counter that exists once per registry, with every label value at zero from the start. */
function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  label?: { name: L; values: readonly string[] },
): Counter<L> {
  const existing = registry.getSingleMetric(name) as Counter<L> | undefined;
  if (existing) return existing;
  const created = new Counter<L>({
    name,
    help,
    labelNames: label ? [label.name] : [],
    registers: [registry],
  });
  if (label) for (const value of label.values) created.inc({ [label.name]: value } as never, 0);
  else created.inc(0);
  return created;
}

/**
 * Idempotent per registry: the dashboard server and the analysts' endpoint live in the same package and
 * may both ask for the metrics; registering a name twice on one registry would throw.
 */
export function createMonitorMetrics(registry: Registry): MonitorMetrics {
  const httpRequests =
    (registry.getSingleMetric('monitor_http_requests_total') as
      | Counter<'route' | 'status_class'>
      | undefined) ??
    new Counter({
      name: 'monitor_http_requests_total',
      help: 'HTTP requests served by the monitor, by route pattern and status class',
      labelNames: ['route', 'status_class'],
      registers: [registry],
    });
  let analystQueries = registry.getSingleMetric('monitor_analyst_queries_total') as
    | Counter<'outcome'>
    | undefined;
  if (!analystQueries) {
    analystQueries = new Counter({
      name: 'monitor_analyst_queries_total',
      help: "Queries received on the analysts' ClickHouse HTTP endpoint, by outcome",
      labelNames: ['outcome'],
      registers: [registry],
    });
    // Zero series exist from the start so rate() and alerts see them before the first query.
    for (const outcome of ANALYST_QUERY_OUTCOMES) analystQueries.inc({ outcome }, 0);
  }
  const authDenials = counter(
    registry,
    'monitor_auth_denials_total',
    'Requests the monitor refused for want of a valid credential, by reason',
    { name: 'reason', values: DENIAL_REASONS },
  );
  const operatorActions = counter(
    registry,
    'monitor_operator_actions_total',
    'State-changing requests made with an operator credential, by result',
    { name: 'outcome', values: ACTION_OUTCOMES },
  );
  const auditFailures = counter(
    registry,
    'monitor_audit_failures_total',
    'Operator actions whose audit row could not be written (refused beforehand, or lost after retries)',
  );
  return { httpRequests, analystQueries, authDenials, operatorActions, auditFailures };
}

/** `2xx`…`5xx`; anything outside 100–599 is folded into `5xx` to keep the label set closed. */
export function statusClass(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) return '5xx';
  return `${Math.floor(status / 100)}xx`;
}

/**
 * The route label is the registered pattern, never the raw URL (which would be an open set). Bull Board's
 * many internal routes collapse into one `/queues` label.
 */
export function routeLabel(pattern: string | undefined): string {
  if (!pattern) return 'unmatched';
  if (pattern === '/queues' || pattern.startsWith('/queues/')) return '/queues';
  return pattern;
}
