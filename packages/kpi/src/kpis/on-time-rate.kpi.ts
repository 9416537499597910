import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

/**
 * Each (dossier, period) row is either finished in the period or still open at its end, so every row
 * counts in the denominator; `on_time` applies the national rule (sql/dossier-kpis.sql.ts).
 */
export const ON_TIME_SQL = { numerator: 'countIf(on_time)', denominator: 'count()' } as const;

export const onTimeRate = defineKpi({
  id: 'on_time_rate',
  name: { vi: 'Tỷ lệ hồ sơ giải quyết đúng hạn', en: 'On-time rate' },
  formula: {
    vi: '(Hồ sơ kết thúc đúng hạn + hồ sơ đang giải quyết còn trong hạn) / hồ sơ tiếp nhận hoặc xử lý trong kỳ',
    en: '(dossiers finished on time + in progress within their due date) / dossiers received or processed in the period',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [],
  sql: ON_TIME_SQL,
});
