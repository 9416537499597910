import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, openFacts, seedAtRiskAgencies, seedOpenFacts } from './at-risk-fixtures.ts';
import { type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';

// dossiers_open_overdue and dossiers_due_soon on the monitor's /metrics, read from dossiers_at_risk_v1
// over real ClickHouse: a province with a district and its commune counts as one top-level unit.

let fixture: FixtureMonitor;
const now = Date.now();

beforeAll(async () => {
  fixture = await startFixtureMonitor({ MONITOR_AT_RISK_INTERVAL_MS: 250 });
  const ch = fixture.store.clickhouse;
  await seedAtRiskAgencies(ch, [
    { agency_code: 'GAUGE-P', parent_code: null, admin_level: 'province' },
    { agency_code: 'GAUGE-C', parent_code: 'GAUGE-P', admin_level: 'district' },
    { agency_code: 'GAUGE-G', parent_code: 'GAUGE-C', admin_level: 'commune' },
    { agency_code: 'GAUGE-X', parent_code: null, admin_level: 'province' },
  ]);
  await seedOpenFacts(ch, [
    openFacts(now, 'G1-OVERDUE', 'GAUGE-P', -3 * DAY),
    openFacts(now, 'G2-OVERDUE', 'GAUGE-G', -DAY),
    openFacts(now, 'G3-SOON', 'GAUGE-C', 60 * 60_000),
    openFacts(now, 'G4-FAR', 'GAUGE-G', 40 * DAY),
    openFacts(now, 'G5-SOON', 'GAUGE-X', 60 * 60_000),
  ]);
}, 600_000);
afterAll(async () => {
  await fixture?.stop();
});

const sample = (text: string, metric: string, agency: string) =>
  text.match(new RegExp(`^${metric}\\{[^}]*agency="${agency}"[^}]*\\} (\\d+)$`, 'm'))?.[1];

describe('at-risk gauges on /metrics', () => {
  it('counts overdue and due-soon dossiers per top-level unit, sub-units rolled up', async () => {
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${fixture.base}/metrics`)).text();
          return [
            sample(text, 'dossiers_open_overdue', 'GAUGE-P'),
            sample(text, 'dossiers_due_soon', 'GAUGE-P'),
            sample(text, 'dossiers_open_overdue', 'GAUGE-X'),
            sample(text, 'dossiers_due_soon', 'GAUGE-X'),
            sample(text, 'dossiers_open_overdue', 'GAUGE-C'),
          ];
        },
        { timeout: 120_000, interval: 500 },
      )
      .toEqual(['2', '1', '0', '1', undefined]);
  });
});
