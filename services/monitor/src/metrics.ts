import { Counter, type Registry } from 'prom-client';

export const ANALYST_QUERY_OUTCOMES = ['ok', 'error', 'rejected'] as const;
export type AnalystQueryOutcome = (typeof ANALYST_QUERY_OUTCOMES)[number];

export interface MonitorMetrics {
  httpRequests: Counter<'route' | 'status_class'>;
  analystQueries: Counter<'outcome'>;
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
  return { httpRequests, analystQueries };
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
