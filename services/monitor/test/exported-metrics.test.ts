import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// The services' own metric factories, not copies of their names: a rename there fails this test.
import { createAggregatorMetrics } from '../../aggregator/src/metrics.ts';
import type { Watermarks } from '../../aggregator/src/watermarks.ts';
import { createIngestorMetrics } from '../../ingestor/src/metrics.ts';
import { createAtRiskGauges } from '../src/at-risk-gauges.ts';
import { createMonitorMetrics } from '../src/metrics.ts';

const infra = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../../infra/${path}`, import.meta.url)), 'utf8');

// Labels Prometheus itself attaches to every scraped series, and the histogram bucket label.
const SCRAPE_LABELS = new Set(['job', 'instance', 'le']);

function exportedMetrics(): Map<string, { type: string; labels: Set<string> }> {
  const registry = new Registry();
  createIngestorMetrics(registry);
  const idle: ReturnType<Watermarks['current']> = { kpiSucceededMs: new Map() };
  createAggregatorMetrics(registry, { current: () => idle, refresh: async () => idle });
  createMonitorMetrics(registry);
  createAtRiskGauges(registry);
  const metrics = new Map<string, { type: string; labels: Set<string> }>();
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type: string; labelNames: string[] };
    metrics.set(m.name, { type: String(m.type), labels: new Set(m.labelNames) });
  }
  return metrics;
}

interface Reference {
  metric: string;
  labels: string[];
  where: string;
}

/** Service metrics referenced by a PromQL expression, with the label names of their selectors. */
function referencedMetrics(expr: string, where: string): Reference[] {
  const refs: Reference[] = [];
  for (const match of expr.matchAll(
    /\b((?:ingestor|aggregator|monitor|dossiers)_[a-z0-9_]+)(\{([^}]*)\})?/g,
  )) {
    const labels = [...(match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (m) => m[1]!,
    );
    refs.push({ metric: match[1]!, labels, where });
  }
  return refs;
}

function alertReferences(): Reference[] {
  const rules = parse(infra('prometheus/alerts.yml')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((g) => g.rules.flatMap((r) => referencedMetrics(r.expr, `alert ${r.alert}`)));
}

function dashboardReferences(): Reference[] {
  const dashboard = JSON.parse(infra('grafana/dashboards/dossier-pipeline.json')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t) => referencedMetrics(t.expr, `panel ${p.title}`)),
  );
}

/** `x_bucket` / `x_sum` / `x_count` of a histogram `x` are exported under `x`. */
function resolve(name: string, metrics: ReturnType<typeof exportedMetrics>) {
  if (metrics.has(name)) return metrics.get(name);
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const metric = metrics.get(base);
  return metric?.type === 'histogram' ? metric : undefined;
}

const CONTRACT = [
  'ingestor_messages_total',
  'ingestor_batch_size_messages',
  'ingestor_insert_duration_seconds',
  'ingestor_consumer_lag_messages',
  'ingestor_clickhouse_errors_total',
  'ingestor_dead_letters_total',
  'ingestor_paused_partitions',
  'ingestor_last_progress_timestamp_seconds',
  'aggregator_runs_total',
  'aggregator_run_duration_seconds',
  'aggregator_rows_written_total',
  'aggregator_last_success_age_seconds',
  'aggregator_watermark_lag_seconds',
  'aggregator_queue_jobs',
  'monitor_http_requests_total',
  'monitor_analyst_queries_total',
  'dossiers_open_overdue',
  'dossiers_due_soon',
];

describe('metrics named in alerts and the Grafana dashboard', () => {
  const metrics = exportedMetrics();

  it('finds references in both files (the parser is not silently matching nothing)', () => {
    expect(new Set(alertReferences().map((r) => r.metric)).size).toBeGreaterThanOrEqual(7);
    expect(new Set(dashboardReferences().map((r) => r.metric)).size).toBeGreaterThanOrEqual(13);
  });

  it.each([
    ['alert rules', alertReferences],
    ['Grafana dashboard', dashboardReferences],
  ])('every metric in the %s is exported by a service, with the labels used', (_, references) => {
    const problems: string[] = [];
    for (const ref of references()) {
      const metric = resolve(ref.metric, metrics);
      if (!metric) {
        problems.push(`${ref.where}: ${ref.metric} is not exported`);
        continue;
      }
      for (const label of ref.labels) {
        if (!metric.labels.has(label) && !SCRAPE_LABELS.has(label))
          problems.push(`${ref.where}: ${ref.metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('exports every metric of the shared contract', () => {
    expect(CONTRACT.filter((name) => !metrics.has(name))).toEqual([]);
  });

  // The built-in monitor's pipeline panels (routes/pipeline.route.ts) and the metric that shows the same in
  // Grafana, so an operator who watches only Grafana sees no less.
  it.each([
    ['throughput and rejections', 'ingestor_messages_total'],
    ['lag per partition', 'ingestor_consumer_lag_messages'],
    ['dead letters by reason', 'ingestor_dead_letters_total'],
    ['KPI freshness', 'aggregator_last_success_age_seconds'],
    ['queue state', 'aggregator_queue_jobs'],
  ])('the Grafana dashboard has a panel for the monitor’s %s (%s)', (_, metric) => {
    expect(dashboardReferences().map((r) => r.metric)).toContain(metric);
  });

  it('flags a reference to a metric nobody exports', () => {
    const [ref] = referencedMetrics('rate(ingestor_mesages_total{outcome="x"}[5m])', 'typo');
    expect(ref).toEqual({ metric: 'ingestor_mesages_total', labels: ['outcome'], where: 'typo' });
    expect(resolve(ref!.metric, metrics)).toBeUndefined();
    expect(resolve('ingestor_insert_duration_seconds_bucket', metrics)).toBeDefined();
    expect(resolve('ingestor_messages_total_count', metrics)).toBeUndefined();
  });
});
