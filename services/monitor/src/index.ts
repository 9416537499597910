export {
  type Access,
  CREDENTIAL_EXCHANGE_ROUTES,
  type RouteAccess,
} from './auth/access.ts';
export { auditDetails, OPERATOR_ACTIONS_TABLE } from './auth/audit.ts';
export { isLoopbackHost, MonitorConfig, MonitorMainConfig, monitorConfig } from './config.ts';
export { LANGS, type Lang, MESSAGES } from './i18n.ts';
export {
  ANALYST_QUERY_OUTCOMES,
  type AnalystQueryOutcome,
  createMonitorMetrics,
  type MonitorMetrics,
} from './metrics.ts';
export { type Comparator, EMPTY_CATALOG, type KpiCatalogView } from './present.ts';
export type { DeadLetterDeps } from './routes/dead-letters.route.ts';
export { LOGIN_FAILURE_LIMIT, type Monitor, type MonitorDeps, startMonitor } from './start-monitor.ts';
