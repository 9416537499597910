import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const digitizationRate = defineKpi({
  id: 'digitization_rate',
  name: { vi: 'Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC', en: 'Digitization rate' },
  formula: {
    vi: 'Hồ sơ đã giải quyết trong kỳ có thành phần hồ sơ và kết quả được số hóa / hồ sơ đã giải quyết trong kỳ',
    en: 'dossiers resolved in the period whose submitted components and result are digitized / dossiers resolved in the period',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [
    { year: 2022, comparator: 'gte', value: 0.3, scope: { kind: 'admin_level', codePrefixes: ['province'] } },
    { year: 2022, comparator: 'gte', value: 0.2, scope: { kind: 'admin_level', codePrefixes: ['district'] } },
    { year: 2022, comparator: 'gte', value: 0.15, scope: { kind: 'admin_level', codePrefixes: ['commune'] } },
  ],
  sql: {
    numerator: 'countIf(in_finished AND resolved AND digitized = 1)',
    denominator: 'countIf(in_finished AND resolved)',
  },
});
