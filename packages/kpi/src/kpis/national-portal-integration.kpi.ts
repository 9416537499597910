import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const nationalPortalIntegration = defineKpi({
  id: 'national_portal_integration',
  name: {
    vi: 'Tỷ lệ DVC trực tuyến tích hợp, cung cấp trên Cổng DVC quốc gia',
    en: 'National portal (DVCQG) integration',
  },
  formula: {
    vi: 'TTHC cung cấp trực tuyến đã tích hợp trên Cổng DVCQG / TTHC cung cấp trực tuyến',
    en: 'procedures offered online that are integrated on DVCQG / procedures offered online',
  },
  unit: 'ratio',
  source: 'procedure',
  scopes: ALL_SCOPES,
  targets: [
    { phase: 1, comparator: 'gte', value: 0.8 },
    { phase: 2, comparator: 'gt', value: 0.8 },
  ],
  sql: {
    numerator: "countIf(online_class IN ('partial', 'full') AND dvcqg_integrated = 1)",
    denominator: "countIf(online_class IN ('partial', 'full'))",
  },
});
