export { backfillKpis } from './backfill.ts';
export { getKpi, KPI_CATALOG, KPI_IDS, selectKpis } from './catalog.ts';
export { runKpiCycle } from './kpi-cycle.ts';
export type { Comparator, KpiDefinition, KpiSource, TargetRule } from './kpi-definition.ts';
export {
  nextPeriodStart,
  PERIOD_KINDS,
  type PeriodKind,
  PHASES,
  type Phase,
  periodStartOf,
  periodsBetween,
  phaseOf,
  SCOPE_KINDS,
  type ScopeKind,
  TIME_ZONE,
} from './periods.ts';
export type { BackfillOptions, KpiCycleOptions, KpiRunResult, KpiRunScope } from './run-options.ts';
export { onlinePaymentScore, progressScore, thresholdScore } from './score-766.ts';
export { READ_PROGRESS_SQL, WATERMARK_NAME } from './sql/watermark.sql.ts';
export { ratio, type Target, targetFor, targetMet, targetRuleParams } from './targets.ts';
export { shiftMs } from './utc.ts';
export { type KpiStateCheck, verifyKpiState } from './verify-state.ts';
