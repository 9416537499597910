import { ALL_SCOPES, defineKpi, type KpiDefinition } from '../kpi-definition.ts';
import type { ScopeKind } from '../periods.ts';
import { COMPONENTS, GROUPS, TOTAL_KPI } from './components.ts';

/** The scopes Decision 766 rows are written for: the province and each unit with its sub-units. */
export const INDEX766_SCOPES: readonly ScopeKind[] = ALL_SCOPES.filter((s) => s === 'city' || s === 'agency');

/**
 * Every Decision 766 component, group and total as a KPI of the catalog (source `index766`): components
 * in the order of components.ts, then the group totals that are not a component themselves (progress is
 * both), then the index.
 */
export const INDEX766_KPIS: readonly KpiDefinition[] = [
  ...COMPONENTS.map((c) =>
    defineKpi({
      id: c.id,
      name: {
        vi: `Chỉ số 766 (${c.code}): ${c.name.vi}`,
        en: `Decision 766 index (${c.code}): ${c.name.en}`,
      },
      formula: c.formula,
      unit: 'ratio',
      source: 'index766',
      scopes: INDEX766_SCOPES,
      targets: [],
    }),
  ),
  ...GROUPS.filter((g) => !COMPONENTS.some((c) => c.id === g.kpi)).map((g) =>
    defineKpi({
      id: g.kpi,
      name: { vi: `Chỉ số 766: ${g.name.vi}`, en: `Decision 766 index: ${g.name.en}` },
      formula: {
        vi: `Tổng điểm các thành phần (tối đa ${g.points} điểm)`,
        en: `sum of its components' rounded scores (at most ${g.points} points)`,
      },
      unit: 'ratio',
      source: 'index766',
      scopes: INDEX766_SCOPES,
      targets: [],
    }),
  ),
  defineKpi({
    id: TOTAL_KPI,
    name: { vi: 'Chỉ số 766: tổng điểm', en: 'Decision 766 index: total' },
    formula: {
      vi: 'Tổng điểm sáu nhóm; điểm tối đa là số điểm có dữ liệu',
      en: 'sum of the six groups; max_score = the points whose components have data',
    },
    unit: 'ratio',
    source: 'index766',
    scopes: INDEX766_SCOPES,
    targets: [],
  }),
];
