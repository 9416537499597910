import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process; every service in the process registers its metrics on it. */
export function createMetricsRegistry(options: { defaultLabels?: Record<string, string> } = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
