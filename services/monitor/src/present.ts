import { type Comparator, PHASES, type Phase, phaseOf } from '@dossier/kpi';
import { type Lang, LOCALES } from './i18n.ts';

export type { Comparator } from '@dossier/kpi';

/**
 * What the dashboard needs from the KPI catalog. The comparator depends on the period and scope (a
 * target may be "≥ 80%" in phase 1 and "> 80%" in phase 2), so it is asked per row.
 */
export interface KpiCatalogView {
  /** Display order; KPIs not listed follow alphabetically. */
  order: readonly string[];
  /** Null for a KPI the catalog does not know (the id is shown instead). */
  name(id: string, lang: Lang): string | null;
  comparator(id: string, periodStart: string, scope: { kind: string; code: string }): Comparator | null;
}

export const EMPTY_CATALOG: KpiCatalogView = { order: [], name: () => null, comparator: () => null };

export interface PhaseInfo {
  phase: Phase | null;
  years: string | null;
}

/** The programme phase of a period (phase 1 = 2021–2025, phase 2 = 2026–2030, from the KPI catalog). */
export function phaseInfo(periodStart: string): PhaseInfo {
  const phase = phaseOf(periodStart);
  if (phase === null) return { phase: null, years: null };
  const { from, to } = PHASES[phase];
  return { phase, years: `${from.slice(0, 4)}–${to.slice(0, 4)}` };
}

export function formatPercent(value: number | null, lang: Lang): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat(LOCALES[lang], { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

export function formatNumber(value: number | null, lang: Lang, maximumFractionDigits = 0): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits }).format(value);
}

export function targetText(target: number | null, comparator: Comparator | null, lang: Lang): string | null {
  if (target === null) return null;
  const symbol = comparator === 'gt' ? '> ' : comparator === 'gte' ? '≥ ' : '';
  return `${symbol}${formatPercent(target, lang)}`;
}

export type KpiStatus = 'met' | 'not_met' | 'no_target' | 'no_data';

/** The aggregator decides `target_met`; the dashboard only shows it (one rule, one place). */
export function kpiStatus(row: {
  value: number | null;
  target: number | null;
  target_met: number | null;
}): KpiStatus {
  if (row.value === null) return 'no_data';
  if (row.target === null || row.target_met === null) return 'no_target';
  return row.target_met === 1 ? 'met' : 'not_met';
}

/** Catalog order first, then KPIs the catalog does not list, alphabetically. */
export function orderKpis<T extends { kpi: string }>(rows: readonly T[], catalog: KpiCatalogView): T[] {
  const rank = new Map(catalog.order.map((id, i) => [id, i]));
  return [...rows].sort((a, b) => {
    const ra = rank.get(a.kpi) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b.kpi) ?? Number.MAX_SAFE_INTEGER;
    return ra - rb || a.kpi.localeCompare(b.kpi);
  });
}

export function kpiName(id: string, catalog: KpiCatalogView, lang: Lang): string {
  return catalog.name(id, lang) ?? id;
}

/** First day of the month `months - 1` months before `now`'s month, as YYYY-MM-DD (UTC). */
export function trendStart(now: Date, months: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
  return d.toISOString().slice(0, 10);
}
