import { INDEX766_COMPONENTS, INDEX766_GROUPS, INDEX766_TOTAL, type PeriodKind } from '@dossier/kpi';
import { z } from 'zod';
import type { Lang } from '../i18n.ts';
import { formatNumber, formatPercent } from '../present.ts';
import type { BoundQuery } from '../queries/kpi.queries.ts';

/** The Decision 766 index's rows of kpi_latest; the programme KPIs' cards leave them to the scorecard. */
export const INDEX766_PREFIX = 'index766.';

/** Periods of one kind that have a 766 total for the city or a unit, newest first. */
export function scorecardPeriodsQuery(periodKind: PeriodKind): BoundQuery {
  return {
    query: `SELECT DISTINCT toString(period_start) AS period FROM kpi_latest
      WHERE kpi = {total:String} AND scope_kind IN ('city', 'agency') AND period_kind = {periodKind:String}
      ORDER BY period DESC LIMIT 120`,
    query_params: { total: INDEX766_TOTAL, periodKind },
  };
}

/** Every 766 row (components, groups, total) of the city and the units for one period, with unit names. */
export function scorecardQuery(periodKind: PeriodKind, periodStart: string): BoundQuery {
  return {
    query: `WITH agencies AS (
          SELECT agency_code, argMax(name, (valid_from, version)) AS name,
            argMax(admin_level, (valid_from, version)) AS admin_level
          FROM agencies_v1 GROUP BY agency_code)
      SELECT k.kpi AS kpi, k.scope_kind AS scope_kind, k.scope_code AS scope_code,
        if(k.scope_kind = 'agency', a.name, '') AS name, if(k.scope_kind = 'agency', a.admin_level, '') AS admin_level,
        toFloat64(k.numerator) AS numerator, toFloat64(k.denominator) AS denominator,
        toNullable(toFloat64(k.value)) AS value, toNullable(toFloat64(k.score)) AS score,
        toNullable(toFloat64(k.max_score)) AS max_score, k.reason AS reason
      FROM kpi_latest AS k
      LEFT JOIN agencies AS a ON a.agency_code = k.scope_code
      WHERE startsWith(k.kpi, {prefix:String}) AND k.scope_kind IN ('city', 'agency')
        AND k.period_kind = {periodKind:String} AND k.period_start = {periodStart:Date}
      ORDER BY k.scope_kind, k.scope_code, k.kpi`,
    query_params: { prefix: INDEX766_PREFIX, periodKind, periodStart },
  };
}

export const ScorecardRow = z.object({
  kpi: z.string(),
  scope_kind: z.string(),
  scope_code: z.string(),
  name: z.string(),
  admin_level: z.string(),
  numerator: z.number(),
  denominator: z.number(),
  value: z.number().nullable(),
  score: z.number().nullable(),
  max_score: z.number().nullable(),
  reason: z.string(),
});
export type ScorecardRow = z.output<typeof ScorecardRow>;

interface Scored {
  kpi: string;
  name: string;
  points: number;
  score: number | null;
  scoreText: string;
  maxScore: number | null;
  /** No row, or a NULL score: shown as "no data", with the reason kpi_latest gives. */
  noData: boolean;
  reason: string;
}

function scored(
  row: ScorecardRow | undefined,
  kpi: string,
  name: string,
  points: number,
  lang: Lang,
): Scored {
  const score = row?.score ?? null;
  return {
    kpi,
    name,
    points,
    score,
    scoreText: score === null ? '—' : formatNumber(score, lang, 2),
    maxScore: row?.max_score ?? null,
    noData: score === null,
    reason: row?.reason ?? '',
  };
}

/**
 * The scorecard as kpi_latest holds it: per unit the total, the six groups and their components with
 * numerator and denominator; the city first, then units ranked by total (no total last).
 */
export function buildScorecard(rows: readonly ScorecardRow[], lang: Lang) {
  const byScope = new Map<string, Map<string, ScorecardRow>>();
  for (const row of rows) {
    const key = `${row.scope_kind}:${row.scope_code}`;
    const kpis = byScope.get(key) ?? new Map<string, ScorecardRow>();
    byScope.set(key, kpis);
    kpis.set(row.kpi, row);
  }
  const units = [...byScope.values()].map((kpis) => {
    const any = kpis.values().next().value as ScorecardRow;
    const total = scored(kpis.get(INDEX766_TOTAL), INDEX766_TOTAL, '', 100, lang);
    return {
      scopeKind: any.scope_kind,
      scopeCode: any.scope_code,
      name: any.scope_kind === 'city' ? '' : any.name || any.scope_code,
      adminLevel: any.admin_level || null,
      rank: null as number | null,
      total: {
        ...total,
        maxScoreText: total.maxScore === null ? '—' : formatNumber(total.maxScore, lang, 2),
      },
      groups: INDEX766_GROUPS.map((g) => ({
        ...scored(kpis.get(g.kpi), g.kpi, g.name[lang], g.points, lang),
        components: INDEX766_COMPONENTS.filter((c) => c.group === g.id).map((c) => {
          const row = kpis.get(c.id);
          return {
            ...scored(row, c.id, c.name[lang], c.points, lang),
            code: c.code,
            source: c.source,
            numerator: row?.numerator ?? null,
            denominator: row?.denominator ?? null,
            value: row?.value ?? null,
            valueText: formatPercent(row?.value ?? null, lang),
          };
        }),
      })),
    };
  });
  const city = units.filter((u) => u.scopeKind === 'city');
  const agencies = units
    .filter((u) => u.scopeKind === 'agency')
    .sort(
      (a, b) =>
        (b.total.score ?? Number.NEGATIVE_INFINITY) - (a.total.score ?? Number.NEGATIVE_INFINITY) ||
        a.scopeCode.localeCompare(b.scopeCode),
    );
  agencies.forEach((u, i) => {
    u.rank = u.total.score === null ? null : i + 1;
  });
  return [...city, ...agencies];
}
