import { INDEX766_COMPONENTS, INDEX766_GROUPS, INDEX766_TOTAL } from '@dossier/kpi';
import type { KpiFixture } from './fixtures.ts';

const AT = '2026-11-02 00:30:00.000';
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Decision 766 rows as the KPI engine writes them, for the city and three units in November 2026 (and
 * the city's fourth quarter): components with numerator and denominator, the external ones without
 * figures NULL with their reason, group scores summing their components and a total whose max_score is
 * the points covered. H29.105.26734 has no total at all (NULL, with a reason), so it ranks last.
 */
export function index766Fixtures(): KpiFixture[] {
  const units = [
    { scope_kind: 'city', scope_code: 'H29', share: 0.81, external: true },
    { scope_kind: 'agency', scope_code: 'H29.01', share: 0.93, external: true },
    { scope_kind: 'agency', scope_code: 'H29.105', share: 0.62, external: false },
    { scope_kind: 'agency', scope_code: 'H29.105.26734', share: 0.5, external: false, unscored: true },
  ];
  const rows: KpiFixture[] = [];
  for (const [periodKind, periodStart] of [
    ['month', '2026-11-01'],
    ['quarter', '2026-10-01'],
  ] as const) {
    for (const unit of units) {
      if (periodKind === 'quarter' && unit.scope_kind !== 'city') continue;
      const base = {
        scope_kind: unit.scope_kind,
        scope_code: unit.scope_code,
        period_kind: periodKind,
        period_start: periodStart,
      };
      let total = 0;
      let covered = 0;
      for (const group of INDEX766_GROUPS) {
        let groupScore = 0;
        let groupCovered = 0;
        INDEX766_COMPONENTS.filter((c) => c.group === group.id).forEach((c, i) => {
          const denominator = 200 + 37 * i;
          const numerator = Math.round(denominator * Math.min(1, unit.share + 0.03 * i));
          const missing = c.source === 'external' && !unit.external;
          const score = missing ? null : round2(c.points * (numerator / denominator));
          if (score !== null) {
            groupScore += score;
            groupCovered += c.points;
          }
          rows.push({
            ...base,
            kpi: c.id,
            numerator: missing ? 0 : numerator,
            denominator: missing ? 0 : denominator,
            value: missing ? null : numerator / denominator,
            target: null,
            target_met: null,
            score,
            max_score: c.points,
            reason: missing ? 'no_external_figures' : '',
            computed_at: AT,
          });
        });
        // Progress is its own single component: the group's row is the component's.
        if (!INDEX766_COMPONENTS.some((c) => c.id === group.kpi))
          rows.push({
            ...base,
            kpi: group.kpi,
            numerator: 0,
            denominator: 0,
            value: null,
            target: null,
            target_met: null,
            score: round2(groupScore),
            max_score: groupCovered,
            reason: '',
            computed_at: AT,
          });
        total += groupScore;
        covered += groupCovered;
      }
      rows.push({
        ...base,
        kpi: INDEX766_TOTAL,
        numerator: 0,
        denominator: 0,
        value: null,
        target: null,
        target_met: null,
        score: unit.unscored ? null : round2(total),
        max_score: unit.unscored ? null : covered,
        reason: unit.unscored ? 'no_dossiers' : '',
        computed_at: AT,
      });
    }
  }
  return rows;
}
