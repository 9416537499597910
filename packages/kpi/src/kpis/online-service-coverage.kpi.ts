import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const onlineServiceCoverage = defineKpi({
  id: 'online_service_coverage',
  name: { vi: 'Tỷ lệ TTHC đủ điều kiện được cung cấp trực tuyến', en: 'Online service coverage' },
  formula: {
    vi: 'TTHC đủ điều kiện đang cung cấp DVC trực tuyến (một phần hoặc toàn trình) / TTHC đủ điều kiện',
    en: 'eligible procedures offered online (partial or full) / procedures eligible for online service',
  },
  unit: 'ratio',
  source: 'procedure',
  scopes: ALL_SCOPES,
  targets: [
    { phase: 1, comparator: 'gte', value: 1, note: '100% by 2025' },
    { phase: 2, comparator: 'gte', value: 1, note: 'kept at 100% after 2025' },
  ],
  sql: {
    numerator: "countIf(online_eligible = 1 AND online_class IN ('partial', 'full'))",
    denominator: 'countIf(online_eligible = 1)',
  },
});
