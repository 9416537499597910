import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

/**
 * A = dossiers paid online / dossiers of fee-bearing procedures with a non-zero fee (numerator/denominator);
 * B, C = fee-bearing catalog procedures of the scope with fee data / with an online payment among the
 * period's dossiers, over the scope's fee-bearing catalog procedures (`catalog_fee_procs`).
 * score = 6·A + min(2, 2.5·B) + min(2, 2.5·C); NULL when any of the three denominators is 0.
 */
export const index766OnlinePayment = defineKpi({
  id: 'index766.online_payment',
  name: { vi: 'Chỉ số 766: Thanh toán trực tuyến', en: 'Decision 766 index: online payment' },
  formula: {
    vi: '6·A + min(2; 2,5·B) + min(2; 2,5·C)',
    en: '6·A + min(2, 2.5·B) + min(2, 2.5·C); A = paid online / fee-bearing dossiers with a fee, B = procedures with fee data, C = procedures with an online payment',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [],
  points: { max: 10, fullAt: 1 },
  sql: {
    numerator: 'countIf(in_received AND fee_bearing = 1 AND fee_positive = 1 AND paid_online = 1)',
    denominator: 'countIf(in_received AND fee_bearing = 1 AND fee_positive = 1)',
    score: `if(denominator = 0 OR empty(catalog_fee_procs), NULL,
      6 * numerator / denominator
      + least(2, 2.5 * length(arrayIntersect(fee_data_procs, catalog_fee_procs)) / length(catalog_fee_procs))
      + least(2, 2.5 * length(arrayIntersect(paid_online_procs, catalog_fee_procs)) / length(catalog_fee_procs)))`,
  },
});
