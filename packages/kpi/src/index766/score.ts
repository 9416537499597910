import {
  COMPONENTS,
  type Component,
  componentById,
  GROUPS,
  type GroupId,
  groupById,
  MISSING_REASON,
  type Rounding,
  TOTAL_POINTS,
} from './components.ts';

/**
 * Decision 766 scoring in plain TypeScript: the reference the SQL (score.sql.ts) is checked against, and
 * what a reader uses to recompute a published score by hand. Scores are carried as whole hundredths of a
 * point, so sums are exact; `points(h)` turns them back into a number.
 */

export interface Ratio {
  numerator: number;
  denominator: number;
}

/** Hundredths of a point as points (1813 → 18.13). */
export const points = (hundredths: number): number => hundredths / 100;

/**
 * JavaScript's `x.toFixed(2)` as whole hundredths: the exact binary value of `x` rounded to two decimals,
 * ties to the larger. The portal's online-payment figures follow it (6 × 65.75% = 3.945 is a double just
 * below the tie, published as 3.94).
 */
export function toFixedHundredths(x: number): number {
  return Number(x.toFixed(2).replace('.', ''));
}

/** P × min(1, (n/d) / t) rounded to hundredths on the exact ratio, ties up (20 × 29/32 = 18.125 → 18.13). */
export function exactHundredths(pointsMax: number, fullAt: Ratio, ratio: Ratio): number {
  const n = BigInt(ratio.numerator) * BigInt(fullAt.denominator);
  const d = BigInt(ratio.denominator) * BigInt(fullAt.numerator);
  if (n >= d) return pointsMax * 100;
  const p = BigInt(pointsMax);
  return Number((200n * p * n + d) / (2n * d));
}

/**
 * The online-payment rule: the ratio first as a percentage with two decimals (`(n / d * 100).toFixed(2)`),
 * then P × min(1, percentage / 100 / t) on doubles, rounded as toFixed does.
 */
export function percentFirstHundredths(pointsMax: number, fullAt: Ratio, ratio: Ratio): number {
  const percent = toFixedHundredths((ratio.numerator / ratio.denominator) * 100) / 100;
  const linear = (pointsMax * percent) / 100;
  if (fullAt.numerator === fullAt.denominator) return toFixedHundredths(linear);
  // Full at t: min(P, P / t × ratio), with P / t written as the portal's factor (2.5 for 2 points at 80%).
  const factor = (pointsMax * fullAt.denominator) / fullAt.numerator;
  return toFixedHundredths(Math.min(pointsMax, (factor * percent) / 100));
}

/**
 * A component's score in hundredths, or null: a zero denominator scores 0, the full points or NULL by the
 * component's rule. `ratio` is the ratio it is scored on (for 3.3 the online share times the 1.4 ratio).
 */
export function componentHundredths(
  component: Component,
  ratio: Ratio,
  rounding: Rounding = groupById(component.group).rounding,
): number | null {
  if (ratio.denominator === 0) {
    if (component.zeroDenominator === 'zero') return 0;
    if (component.zeroDenominator === 'full') return component.points * 100;
    return null;
  }
  return rounding === 'exact'
    ? exactHundredths(component.points, component.fullAt, ratio)
    : percentFirstHundredths(component.points, component.fullAt, ratio);
}

/** A component as scored: its hundredths (NULL counts 0) and whether it has data at all. */
export interface ComponentScore {
  id: string;
  hundredths: number | null;
  /** False when the data it needs is missing (figures not loaded): its points leave the total's max. */
  hasData: boolean;
}

export interface GroupScore {
  group: GroupId;
  hundredths: number;
  /** Points of the group's components that have data. */
  maxPoints: number;
  /** Components without data (their score is NULL with the reason `no_external_figures`). */
  missing: string[];
}

/** A group's score: the sum of its components' rounded scores; its max the points of those with data. */
export function groupScore(group: GroupId, scores: readonly ComponentScore[]): GroupScore {
  let hundredths = 0;
  let maxPoints = 0;
  const missing: string[] = [];
  for (const c of COMPONENTS.filter((x) => x.group === group)) {
    const s = scores.find((x) => x.id === c.id);
    if (!s?.hasData) {
      missing.push(c.id);
      continue;
    }
    hundredths += s.hundredths ?? 0;
    maxPoints += c.points;
  }
  return { group, hundredths, maxPoints, missing };
}

export interface TotalScore {
  hundredths: number;
  /** How many of the 100 points have data. */
  maxPoints: number;
  groups: GroupScore[];
}

/** The index: the sum of the six groups; its max says how many of the 100 points have data. */
export function totalScore(scores: readonly ComponentScore[]): TotalScore {
  const groups = GROUPS.map((g) => groupScore(g.id, scores));
  const total = {
    hundredths: groups.reduce((s, g) => s + g.hundredths, 0),
    maxPoints: groups.reduce((s, g) => s + g.maxPoints, 0),
    groups,
  };
  if (total.maxPoints > TOTAL_POINTS) throw new Error('Decision 766 components exceed 100 points');
  return total;
}

/** Inputs of one unit and period, as counted from its dossiers, catalog and loaded figures. */
export interface ScorecardInputs {
  /** Numerator/denominator of every dossier and catalog component, by id. */
  ratios: Record<string, Ratio>;
  /** Loaded figures of the external components, by id; absent when not loaded. */
  figures?: Record<string, Ratio>;
  /** The national reporting system's received count (1.4 denominator candidate), when loaded. */
  nationalReceived?: number;
  /** Dossiers of the period that were the subject of a petition (5.4), when loaded. */
  petitionedDossiers?: number;
}

export interface ScorecardRow {
  kpi: string;
  numerator: number;
  denominator: number;
  score: number | null;
  maxScore: number;
  note: string;
}

/**
 * Every component, group and total of one unit and period, as the engine writes them to kpi_latest: the
 * reference an independent test computes from counted inputs.
 */
export function scorecard(inputs: ScorecardInputs): ScorecardRow[] {
  const rows: ScorecardRow[] = [];
  const scores: ComponentScore[] = [];
  const ratioOf = (id: string): Ratio => inputs.ratios[id] ?? { numerator: 0, denominator: 0 };
  const synchronised = componentById('index766.transparency.synchronised');
  const sync = ratioOf(synchronised.id);
  const syncRatio = {
    numerator: sync.numerator,
    denominator: Math.max(sync.denominator, inputs.nationalReceived ?? 0),
  };
  for (const c of COMPONENTS) {
    if (c.source === 'external') {
      const figure = inputs.figures?.[c.id];
      if (!figure) {
        scores.push({ id: c.id, hundredths: null, hasData: false });
        rows.push({
          kpi: c.id,
          numerator: 0,
          denominator: 0,
          score: null,
          maxScore: c.points,
          note: MISSING_REASON.external,
        });
        continue;
      }
      const h = componentHundredths(c, figure);
      scores.push({ id: c.id, hundredths: h, hasData: true });
      rows.push(row(c, figure, h));
      continue;
    }
    let shown = ratioOf(c.id);
    let scored = shown;
    if (c.id === synchronised.id) shown = scored = syncRatio;
    if (c.id === 'index766.online_service.online_dossiers') {
      scored = {
        numerator: shown.numerator * syncRatio.numerator,
        denominator: shown.denominator * syncRatio.denominator,
      };
    }
    if (c.id === 'index766.satisfaction.dossier_satisfaction' && inputs.petitionedDossiers !== undefined) {
      shown = scored = {
        numerator: Math.max(0, shown.numerator - inputs.petitionedDossiers),
        denominator: shown.denominator,
      };
    }
    const h = componentHundredths(c, scored);
    scores.push({ id: c.id, hundredths: h, hasData: true });
    rows.push(row(c, shown, h));
  }
  const total = totalScore(scores);
  for (const g of total.groups) {
    const group = groupById(g.group);
    if (COMPONENTS.some((c) => c.id === group.kpi)) continue;
    rows.push(groupRow(group.kpi, g.hundredths, g.maxPoints, g.missing));
  }
  rows.push(
    groupRow(
      'index766.total',
      total.hundredths,
      total.maxPoints,
      total.groups.flatMap((g) => g.missing),
    ),
  );
  return rows;
}

function row(c: Component, ratio: Ratio, hundredths: number | null): ScorecardRow {
  return {
    kpi: c.id,
    numerator: ratio.numerator,
    denominator: ratio.denominator,
    score: hundredths === null ? null : points(hundredths),
    maxScore: c.points,
    note: hundredths === null ? 'zero_denominator' : '',
  };
}

/**
 * Group and total rows: numerator and denominator are the score and the points with data, in hundredths,
 * so `value` is the share of the available points earned; the note lists the components without data.
 */
function groupRow(kpi: string, hundredths: number, maxPoints: number, missing: string[]): ScorecardRow {
  return {
    kpi,
    numerator: hundredths,
    denominator: maxPoints * 100,
    score: points(hundredths),
    maxScore: maxPoints,
    note: missing.length === 0 ? '' : `${MISSING_REASON.external}: ${missing.map(shortCode).join(', ')}`,
  };
}

/** The portal's component number (1.1, 4.e …) for notes. */
export function shortCode(id: string): string {
  return componentById(id).code;
}
