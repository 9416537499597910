import { ALL_SCOPES, defineKpi } from '../kpi-definition.ts';

export const onlineResolutionRate = defineKpi({
  id: 'online_resolution_rate',
  name: { vi: 'Tỷ lệ hồ sơ TTHC được tiếp nhận, giải quyết trực tuyến', en: 'Online resolution rate' },
  formula: {
    vi: 'Hồ sơ tiếp nhận trong kỳ qua kênh trực tuyến / tổng hồ sơ tiếp nhận trong kỳ',
    en: 'dossiers received in the period through the online channel / all dossiers received in the period',
  },
  unit: 'ratio',
  source: 'dossier',
  scopes: ALL_SCOPES,
  targets: [
    { phase: 1, comparator: 'gt', value: 0.5 },
    { phase: 2, comparator: 'gt', value: 0.8 },
  ],
  // The channel alone decides (no catalog lookup): a dossier not accepted was never received.
  sql: {
    numerator: "countIf(in_received AND channel = 'online')",
    denominator: 'countIf(in_received)',
  },
});
