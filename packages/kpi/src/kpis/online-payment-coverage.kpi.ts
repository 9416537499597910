import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const onlinePaymentCoverage = defineKpi({
  id: 'online_payment_coverage',
  name: { vi: 'Tỷ lệ TTHC có nghĩa vụ tài chính được thanh toán trực tuyến', en: 'Online payment coverage' },
  formula: {
    vi: 'TTHC có nghĩa vụ tài chính cho phép thanh toán trực tuyến / TTHC có nghĩa vụ tài chính',
    en: 'procedures with a financial obligation that accept online payment / procedures with a financial obligation',
  },
  unit: 'ratio',
  source: 'procedure',
  scopes: ALL_SCOPES,
  targets: [{ phase: 2, comparator: 'gte', value: 1 }],
  sql: {
    numerator: 'countIf(fee_bearing = 1 AND online_payment = 1)',
    denominator: 'countIf(fee_bearing = 1)',
  },
});
