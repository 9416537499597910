import { INDEX766_KPIS } from './index766/kpis.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import { digitizationRate } from './kpis/digitization-rate.kpi.ts';
import { nationalPortalIntegration } from './kpis/national-portal-integration.kpi.ts';
import { onTimeRate } from './kpis/on-time-rate.kpi.ts';
import { onlinePaymentCoverage } from './kpis/online-payment-coverage.kpi.ts';
import { onlinePaymentRate } from './kpis/online-payment-rate.kpi.ts';
import { onlineResolutionRate } from './kpis/online-resolution-rate.kpi.ts';
import { onlineServiceCoverage } from './kpis/online-service-coverage.kpi.ts';
import { satisfactionRate } from './kpis/satisfaction-rate.kpi.ts';

/** Every KPI the aggregator computes, in the order of the programme's table, then the Decision 766 components, groups and total. */
export const KPI_CATALOG: readonly KpiDefinition[] = [
  onlineServiceCoverage,
  nationalPortalIntegration,
  onlineResolutionRate,
  onlinePaymentCoverage,
  onlinePaymentRate,
  satisfactionRate,
  digitizationRate,
  onTimeRate,
  ...INDEX766_KPIS,
];

export const KPI_IDS: readonly string[] = KPI_CATALOG.map((k) => k.id);

const byId = new Map(KPI_CATALOG.map((k) => [k.id, k]));

export function getKpi(id: string): KpiDefinition | undefined {
  return byId.get(id);
}

/** The catalog restricted to `ids` (all when omitted); unknown ids throw, listing every one. */
export function selectKpis(ids?: readonly string[]): KpiDefinition[] {
  if (!ids || ids.length === 0) return [...KPI_CATALOG];
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) throw new Error(`unknown KPI id(s): ${unknown.join(', ')}`);
  return KPI_CATALOG.filter((k) => ids.includes(k.id));
}
