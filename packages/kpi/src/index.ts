export * from './at-risk/index.ts';
export { backfillKpis } from './backfill.ts';
export { getKpi, KPI_CATALOG, KPI_IDS, selectKpis } from './catalog.ts';
export { type HeldLease, type KpiLeases, singleProcessLeases } from './claim-lease.ts';
export {
  COMPONENTS as INDEX766_COMPONENTS,
  type Component as Index766Component,
  GROUPS as INDEX766_GROUPS,
  type Group as Index766Group,
  type GroupId as Index766GroupId,
  TOTAL_KPI as INDEX766_TOTAL,
} from './index766/components.ts';
export {
  componentHundredths,
  type Ratio,
  type ScorecardInputs,
  type ScorecardRow,
  scorecard,
  toFixedHundredths,
} from './index766/score.ts';
export { UNIT_PARENTS_SQL, type UnitParent, type UnitTree, unitTree } from './index766/unit-tree.ts';
export { chainOfSql } from './index766/units.ts';
export { runKpiCycle } from './kpi-cycle.ts';
export type { Comparator, KpiDefinition, KpiSource, TargetRule } from './kpi-definition.ts';
export { type OnTimeFacts, type OnTimeVerdict, onTimeAt } from './on-time.ts';
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
export { cellShardsFor, statementCap } from './rebuild-steps.ts';
export type {
  BackfillOptions,
  KpiCycleOptions,
  KpiPhase,
  KpiRunOptions,
  KpiRunResult,
} from './run-options.ts';
export { KPI_PHASES } from './run-options.ts';
export { READ_WATERMARKS_SQL, WATERMARK_NAME } from './sql/watermark.sql.ts';
export { ratio, type Target, targetFor, targetMet, targetRuleParams } from './targets.ts';
export { shiftMs } from './utc.ts';
export { type KpiStateCheck, verifyKpiState } from './verify-state.ts';
export * from './working-days/index.ts';
