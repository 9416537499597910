import type { Registry } from 'prom-client';

interface MetricValue {
  value: number;
  labels: Record<string, string | number | undefined>;
}

/** Current values of a metric on the shared registry; empty when no service in this process defines it. */
export async function readMetric(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  return values.map((v) => ({ value: v.value, labels: v.labels as MetricValue['labels'] }));
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export function toPartitionLags(values: MetricValue[]): PartitionLag[] {
  return values
    .map((v) => ({
      topic: String(v.labels.topic ?? ''),
      partition: Number(v.labels.partition),
      lag: v.value,
    }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** Sum of a counter's series grouped by one label (e.g. ingestor_messages_total by outcome). */
export function sumBy(values: MetricValue[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** Largest value of a gauge across its series, or null without series (e.g. the oldest KPI's age). */
export function maxValue(values: MetricValue[]): number | null {
  return values.length === 0 ? null : Math.max(...values.map((v) => v.value));
}
