import { loadConfig } from '@dossier/config';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MonitorConfig, MonitorMainConfig } from '../src/config.ts';
import { createMonitorMetrics, routeLabel, statusClass } from '../src/metrics.ts';
import { createSampleWindow, ratesFromSamples } from '../src/throughput.ts';

describe('monitor metrics', () => {
  it('keeps label values closed', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(404)).toBe('4xx');
    expect(statusClass(503)).toBe('5xx');
    expect(statusClass(0)).toBe('5xx');
    expect(statusClass(999)).toBe('5xx');
    expect(routeLabel('/api/kpi/cards')).toBe('/api/kpi/cards');
    expect(routeLabel('/queues/api/queues/:queueName/jobs')).toBe('/queues');
    expect(routeLabel(undefined)).toBe('unmatched');
  });

  it('registers once per registry, so the dashboard and the analysts endpoint share the counters', async () => {
    const registry = new Registry();
    const a = createMonitorMetrics(registry);
    const b = createMonitorMetrics(registry);
    expect(b.httpRequests).toBe(a.httpRequests);
    expect(b.analystQueries).toBe(a.analystQueries);
    const text = await registry.metrics();
    expect(text).toContain('monitor_analyst_queries_total{outcome="rejected"} 0');
  });
});

describe('throughput', () => {
  it('turns counter samples into per-second rates, treating a reset as a restart from zero', () => {
    const points = ratesFromSamples([
      { at: 0, accepted: 0, rejected: 0 },
      { at: 5_000, accepted: 500, rejected: 5 },
      { at: 10_000, accepted: 1_500, rejected: 5 },
      { at: 15_000, accepted: 100, rejected: 0 },
      { at: 15_000, accepted: 200, rejected: 0 },
    ]);
    expect(points).toEqual([
      { at: 5_000, accepted: 100, rejected: 1 },
      { at: 10_000, accepted: 200, rejected: 0 },
      { at: 15_000, accepted: 20, rejected: 0 },
    ]);
  });

  it('keeps a fixed number of samples', () => {
    const window = createSampleWindow(3);
    for (let i = 0; i < 5; i++) window.push({ at: i, accepted: i, rejected: 0 });
    expect(window.samples().map((s) => s.at)).toEqual([2, 3, 4]);
  });
});

describe('config', () => {
  it('has the documented defaults', () => {
    expect(loadConfig(MonitorConfig, {})).toMatchObject({
      MONITOR_PORT: 8080,
      MONITOR_HOST: '127.0.0.1',
      MONITOR_TREND_MONTHS: 24,
    });
    expect(loadConfig(MonitorMainConfig, {})).toMatchObject({
      AGGREGATOR_QUEUE: 'kpi-aggregator',
      AGGREGATOR_PREFIX: 'bull',
    });
  });

  it('lists every problem at once', () => {
    expect(() => loadConfig(MonitorMainConfig, { MONITOR_PORT: '99999', REDIS_URL: 'localhost' })).toThrow(
      /MONITOR_PORT[\s\S]*REDIS_URL|REDIS_URL[\s\S]*MONITOR_PORT/,
    );
  });
});
