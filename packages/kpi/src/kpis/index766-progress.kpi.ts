import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';
import { ON_TIME_SQL } from './on-time-rate.kpi.ts';

export const index766Progress = defineKpi({
  id: 'index766.progress',
  name: { vi: 'Chỉ số 766: Tiến độ giải quyết', en: 'Decision 766 index: progress' },
  formula: { vi: '20 × tỷ lệ hồ sơ đúng hạn', en: '20 × on-time ratio' },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [],
  points: { max: 20, fullAt: 1 },
  sql: ON_TIME_SQL,
});
