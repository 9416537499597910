import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

/** Land (Đất đai), construction (Bộ Xây dựng's fields) and investment (Đầu tư) field codes. */
export const LAND_CONSTRUCTION_INVESTMENT_FIELDS = ['G13-TN02', 'G17-XD', 'G05-KD03', 'G05-KD05'] as const;

export const satisfactionRate = defineKpi({
  id: 'satisfaction_rate',
  name: { vi: 'Mức độ hài lòng của người dân, doanh nghiệp', en: 'Satisfaction rate' },
  formula: {
    vi: 'Đánh giá hài lòng / tổng đánh giá, theo kỳ kết thúc hồ sơ',
    en: 'satisfied ratings / ratings, of dossiers finished in the period',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  // Most specific rule first: the lookup takes the first rule that matches.
  targets: [
    {
      phase: 1,
      comparator: 'gt',
      value: 0.9,
      scope: { kind: 'field', codePrefixes: LAND_CONSTRUCTION_INVESTMENT_FIELDS },
      note: 'land, construction and investment fields',
    },
    { phase: 1, comparator: 'gt', value: 0.95 },
    { phase: 2, comparator: 'gt', value: 0.95 },
  ],
  // A rating has no timestamp of its own in dossiers_v1; it follows the result, so the finish period holds it.
  sql: {
    numerator: 'countIf(in_finished AND rating_satisfied = 1)',
    denominator: 'countIf(in_finished AND rating_satisfied IS NOT NULL)',
  },
});
