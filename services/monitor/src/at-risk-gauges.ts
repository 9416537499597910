import type { ClickHouse } from '@dossier/clickhouse';
import { atRiskUnitCountsSql, chainOfSql, DEFAULT_HORIZON } from '@dossier/kpi';
import type { Logger } from '@dossier/observability';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { queryRows } from './clickhouse-rows.ts';

// dossiers_open_overdue and dossiers_due_soon per top-level unit (the root of a unit's chain, so every
// sub-unit at any depth counts for it), refreshed from dossiers_at_risk_v1 on a timer. The label takes
// at most `maxUnits` values: the units with most dossiers, the rest summed under OTHER_UNITS.

export const OTHER_UNITS = '_other';

export interface TopUnitCounts {
  unit: string;
  overdue: number;
  dueSoon: number;
}

/** The units to label: the `maxUnits - 1` largest as they are and the rest summed, or all when they fit. */
export function boundedUnits(rows: readonly TopUnitCounts[], maxUnits: number): TopUnitCounts[] {
  if (rows.length <= maxUnits) return [...rows];
  const sorted = [...rows].sort(
    (a, b) => b.overdue + b.dueSoon - (a.overdue + a.dueSoon) || a.unit.localeCompare(b.unit),
  );
  const kept = sorted.slice(0, maxUnits - 1);
  const other = sorted
    .slice(maxUnits - 1)
    .reduce(
      (sum, r) => ({ unit: OTHER_UNITS, overdue: sum.overdue + r.overdue, dueSoon: sum.dueSoon + r.dueSoon }),
      { unit: OTHER_UNITS, overdue: 0, dueSoon: 0 },
    );
  return [...kept, other];
}

// The list's counts per deepest unit (signed rows summed: no FINAL over every open dossier), rolled up.
const TOP_UNITS_SQL = `SELECT ${chainOfSql('agency_code')}[-1] AS unit,
  toUInt32(sumIf(n, state = 'overdue')) AS overdue, toUInt32(sumIf(n, state = 'due_soon')) AS due_soon
FROM (${atRiskUnitCountsSql(null)})
WHERE state IN ('overdue', 'due_soon')
GROUP BY unit`;

const Row = z.object({ unit: z.string(), overdue: z.coerce.number(), due_soon: z.coerce.number() });

export interface AtRiskGauges {
  refresh(): Promise<void>;
  stop(): void;
}

/** The two gauges, once per registry. */
export function createAtRiskGauges(registry: Registry): {
  overdue: Gauge<'agency'>;
  dueSoon: Gauge<'agency'>;
} {
  const gauge = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Gauge<'agency'> | undefined) ??
    new Gauge({ name, help, labelNames: ['agency'], registers: [registry] });
  return {
    overdue: gauge(
      'dossiers_open_overdue',
      'Open received dossiers already late under the progress rule, per top-level unit (sub-units included)',
    ),
    dueSoon: gauge(
      'dossiers_due_soon',
      'Open received dossiers with at most 2 working days left, per top-level unit (sub-units included)',
    ),
  };
}

export function startAtRiskGauges(deps: {
  clickhouse: ClickHouse;
  registry: Registry;
  logger: Logger;
  intervalMs: number;
  maxUnits: number;
}): AtRiskGauges {
  const { overdue, dueSoon } = createAtRiskGauges(deps.registry);
  const refresh = async () => {
    const rows = await queryRows(
      deps.clickhouse,
      { query: TOP_UNITS_SQL, query_params: { horizon: DEFAULT_HORIZON } },
      Row,
    );
    const units = boundedUnits(
      rows.map((r) => ({ unit: r.unit, overdue: r.overdue, dueSoon: r.due_soon })),
      deps.maxUnits,
    );
    // Units that no longer have such dossiers drop out, so the label set follows the list.
    overdue.reset();
    dueSoon.reset();
    for (const u of units) {
      overdue.set({ agency: u.unit }, u.overdue);
      dueSoon.set({ agency: u.unit }, u.dueSoon);
    }
  };
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    refresh()
      .catch((err) => deps.logger.warn({ err }, 'at-risk gauges refresh failed'))
      .finally(() => {
        running = false;
      });
  };
  tick();
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
