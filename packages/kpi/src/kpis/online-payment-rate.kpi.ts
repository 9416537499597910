import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const onlinePaymentRate = defineKpi({
  id: 'online_payment_rate',
  name: { vi: 'Tỷ lệ hồ sơ có nghĩa vụ tài chính được thanh toán trực tuyến', en: 'Online payment rate' },
  formula: {
    vi: 'Hồ sơ tiếp nhận trong kỳ có phí, lệ phí khác 0 được thanh toán trực tuyến / hồ sơ tiếp nhận trong kỳ có phí, lệ phí khác 0',
    en: 'dossiers received in the period with a non-zero fee paid online / dossiers received in the period with a non-zero fee',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [{ phase: 2, comparator: 'gte', value: 0.5 }],
  sql: {
    numerator: 'countIf(in_received AND fee_positive = 1 AND paid_online = 1)',
    denominator: 'countIf(in_received AND fee_positive = 1)',
  },
});
