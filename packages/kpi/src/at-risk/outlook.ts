import { componentById } from '../index766/components.ts';
import { componentHundredths, points, type Ratio } from '../index766/score.ts';

/**
 * The Decision 766 score a unit is heading for in the current period, from counts (the pure half of
 * GET /api/at-risk/outlook; outlook.sql.ts reads the counts). Every open received dossier is already in
 * the period's population (it finishes in the period or is open at its end), so only numerators move:
 * - now: kpi_latest's progress and 5.4 ratios as the last KPI cycle judged them;
 * - if missed: every dossier at stake (not overdue, not waiting for the applicant, deadline moved by the
 *   supplement wait before the period's end) turns late, leaving both numerators;
 * - projected: each dossier at stake finishes on time with the recent on-time share of its procedure at
 *   its unit (PROJECTION_WINDOW_DAYS of finished dossiers, at least MIN_HISTORY of them), else of its unit
 *   over every procedure, else it is counted as missed; the expected count is rounded to a whole dossier.
 * Dossiers that will arrive later in the period are not guessed.
 */

export const PROJECTION_WINDOW_DAYS = 90;
export const MIN_HISTORY = 5;

const PROGRESS = componentById('index766.progress');
const SATISFACTION = componentById('index766.satisfaction.dossier_satisfaction');

/** Open dossiers of one deepest unit and procedure, as the at-risk list judges them now. */
export interface OutlookCell {
  agency: string;
  /** The unit and its parents up to the root (index766/units.ts). */
  chain: readonly string[];
  procedure: string;
  /** Not overdue, not waiting, deadline (moved by the supplement wait) before the period's end. */
  atStake: number;
  waitingApplicant: number;
  overdue: number;
}

/** Finished dossiers of one unit and procedure in the projection window, and how many on time. */
export interface OutlookHistory {
  agency: string;
  procedure: string;
  finished: number;
  onTime: number;
}

export interface OutlookInputs {
  /** The unit (its sub-units at any depth included), or null for the city. */
  unit: string | null;
  /** kpi_latest's ratios of the unit and period; null before the first cycle computed them. */
  progress: Ratio | null;
  dossierSatisfaction: Ratio | null;
  /** kpi_latest's index766.total: hundredths and the points it covers; null when not computed. */
  total: { hundredths: number; maxPoints: number } | null;
  cells: readonly OutlookCell[];
  history: readonly OutlookHistory[];
}

export type ProjectionBasis = 'procedure' | 'unit' | 'none';

export interface Scored {
  numerator: number;
  denominator: number;
  score: number;
}

export interface ComponentOutlook {
  maxScore: number;
  now: Scored;
  ifMissed: Scored;
  projected: Scored;
}

export interface Outlook {
  atStake: number;
  waitingApplicant: number;
  overdue: number;
  /** Dossiers at stake expected on time, rounded; and how many were projected on each basis. */
  projectedOnTime: number;
  basis: Record<ProjectionBasis, number>;
  progress: ComponentOutlook | null;
  dossierSatisfaction: ComponentOutlook | null;
  total: { maxScore: number; now: number; ifMissed: number; projected: number } | null;
}

/** A share of on-time finishes, from the procedure at the unit, else the unit, else none (missed). */
export function projectionShare(
  history: readonly OutlookHistory[],
  agency: string,
  procedure: string,
): { share: number; basis: ProjectionBasis } {
  const own = history.filter((h) => h.agency === agency);
  const pair = own.filter((h) => h.procedure === procedure);
  const sum = (rows: readonly OutlookHistory[]) =>
    rows.reduce((a, h) => ({ finished: a.finished + h.finished, onTime: a.onTime + h.onTime }), {
      finished: 0,
      onTime: 0,
    });
  const p = sum(pair);
  if (p.finished >= MIN_HISTORY) return { share: p.onTime / p.finished, basis: 'procedure' };
  const u = sum(own);
  if (u.finished >= MIN_HISTORY) return { share: u.onTime / u.finished, basis: 'unit' };
  return { share: 0, basis: 'none' };
}

function scored(component: typeof PROGRESS, ratio: Ratio): Scored & { hundredths: number } {
  const hundredths = componentHundredths(component, ratio) ?? 0;
  return { ...ratio, score: points(hundredths), hundredths };
}

function componentOutlook(
  component: typeof PROGRESS,
  now: Ratio,
  atStake: number,
  expectedOnTime: number,
): ComponentOutlook & { deltas: { ifMissed: number; projected: number } } {
  const missed = Math.max(0, now.numerator - atStake);
  const n = scored(component, now);
  const m = scored(component, { numerator: missed, denominator: now.denominator });
  const p = scored(component, { numerator: missed + expectedOnTime, denominator: now.denominator });
  const strip = ({ hundredths: _, ...s }: Scored & { hundredths: number }): Scored => s;
  return {
    maxScore: component.points,
    now: strip(n),
    ifMissed: strip(m),
    projected: strip(p),
    deltas: { ifMissed: m.hundredths - n.hundredths, projected: p.hundredths - n.hundredths },
  };
}

/** The outlook of one unit (or the city) for one period. */
export function outlookOf(inputs: OutlookInputs): Outlook {
  const cells = inputs.cells.filter((c) => inputs.unit === null || c.chain.includes(inputs.unit));
  const basis: Record<ProjectionBasis, number> = { procedure: 0, unit: 0, none: 0 };
  let atStake = 0;
  let waitingApplicant = 0;
  let overdue = 0;
  let expected = 0;
  for (const c of cells) {
    atStake += c.atStake;
    waitingApplicant += c.waitingApplicant;
    overdue += c.overdue;
    if (c.atStake === 0) continue;
    const { share, basis: b } = projectionShare(inputs.history, c.agency, c.procedure);
    basis[b] += c.atStake;
    expected += c.atStake * share;
  }
  // Half up on a value a float sum may leave a hair below .5 (3 × 0.5 = 1.5 exactly; 0.1 sums are not).
  const projectedOnTime = Math.floor(expected + 0.5 + 1e-9);
  // An open dossier is not rated yet (ratings follow the result), so each one at stake is in 5.4's
  // numerator as it is in progress's.
  const progress = inputs.progress && componentOutlook(PROGRESS, inputs.progress, atStake, projectedOnTime);
  const satisfaction =
    inputs.dossierSatisfaction &&
    componentOutlook(SATISFACTION, inputs.dossierSatisfaction, atStake, projectedOnTime);
  const strip = (c: typeof progress): ComponentOutlook | null =>
    c && { maxScore: c.maxScore, now: c.now, ifMissed: c.ifMissed, projected: c.projected };
  let total: Outlook['total'] = null;
  if (inputs.total && progress && satisfaction) {
    const h = inputs.total.hundredths;
    total = {
      maxScore: inputs.total.maxPoints,
      now: points(h),
      ifMissed: points(h + progress.deltas.ifMissed + satisfaction.deltas.ifMissed),
      projected: points(h + progress.deltas.projected + satisfaction.deltas.projected),
    };
  }
  return {
    atStake,
    waitingApplicant,
    overdue,
    projectedOnTime,
    basis,
    progress: strip(progress),
    dossierSatisfaction: strip(satisfaction),
    total,
  };
}
