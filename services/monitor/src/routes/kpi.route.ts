import { isMissingTable } from '@dossier/clickhouse';
import { PERIOD_KINDS, SCOPE_KINDS } from '@dossier/kpi';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import { type Lang, resolveLang } from '../i18n.ts';
import {
  formatNumber,
  formatPercent,
  type KpiCatalogView,
  kpiName,
  kpiStatus,
  orderKpis,
  phaseInfo,
  targetText,
  trendStart,
} from '../present.ts';
import { cardsQuery, filterScopesQuery, rankingQuery, trendQuery } from '../queries/kpi.queries.ts';
import type { MonitorContext } from './context.ts';

const nullableNumber = z.number().nullable();
const KpiRow = z.object({
  kpi: z.string(),
  scope_code: z.string(),
  period: z.string(),
  numerator: z.number(),
  denominator: z.number(),
  value: nullableNumber,
  target: nullableNumber,
  target_met: nullableNumber,
  score: nullableNumber,
  max_score: nullableNumber,
  computed_at: z.string(),
});
const TrendRow = z.object({
  kpi: z.string(),
  period: z.string(),
  value: nullableNumber,
  target: nullableNumber,
});
const RankingRow = z.object({
  kpi: z.string(),
  agency_code: z.string(),
  agency_name: z.string(),
  admin_level: z.string(),
  period: z.string(),
  numerator: z.number(),
  denominator: z.number(),
  value: nullableNumber,
  target: nullableNumber,
  target_met: nullableNumber,
});
const ScopeRow = z.object({
  scope_kind: z.string(),
  scope_code: z.string(),
  name: z.string(),
  admin_level: z.string(),
});

const ScopeQuery = z.object({
  lang: z.string().optional(),
  scope_kind: z.enum(SCOPE_KINDS).default('city'),
  scope_code: z.string().min(1).max(200).optional(),
  period_kind: z.enum(PERIOD_KINDS).default('month'),
});
const RankingQuery = z.object({
  lang: z.string().optional(),
  period_kind: z.enum(PERIOD_KINDS).default('month'),
  admin_level: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function registerKpiRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  const { clickhouse, catalog } = ctx;

  app.get('/api/kpi/cards', async (request, reply) => {
    const q = ScopeQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'bad_request', issues: z.flattenError(q.error) });
    const lang = resolveLang(q.data.lang);
    const scope = { kind: q.data.scope_kind, code: q.data.scope_code };
    const rows = await orEmpty(() => queryRows(clickhouse, cardsQuery(scope, q.data.period_kind), KpiRow));
    const cards = orderKpis(rows, catalog).map((row) => toCard(row, scope, catalog, lang));
    return { scope, periodKind: q.data.period_kind, cards };
  });

  app.get('/api/kpi/trend', async (request, reply) => {
    const q = ScopeQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'bad_request', issues: z.flattenError(q.error) });
    const lang = resolveLang(q.data.lang);
    const scope = { kind: q.data.scope_kind, code: q.data.scope_code };
    const from = trendStart(ctx.now(), ctx.config.MONITOR_TREND_MONTHS);
    const rows = await orEmpty(() => queryRows(clickhouse, trendQuery(scope, from), TrendRow));
    const months = [...new Set(rows.map((r) => r.period))].sort();
    const byKpi = new Map<string, typeof rows>();
    for (const row of rows) byKpi.set(row.kpi, [...(byKpi.get(row.kpi) ?? []), row]);
    const series = orderKpis(
      [...byKpi.keys()].map((kpi) => ({ kpi })),
      catalog,
    ).map(({ kpi }) => {
      const points = new Map((byKpi.get(kpi) ?? []).map((r) => [r.period, r]));
      return {
        kpi,
        name: kpiName(kpi, catalog, lang),
        values: months.map((m) => points.get(m)?.value ?? null),
        targets: months.map((m) => points.get(m)?.target ?? null),
      };
    });
    return { scope, from, months, series };
  });

  app.get('/api/kpi/ranking', async (request, reply) => {
    const q = RankingQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'bad_request', issues: z.flattenError(q.error) });
    const lang = resolveLang(q.data.lang);
    const rows = await orEmpty(() =>
      queryRows(
        clickhouse,
        rankingQuery({ periodKind: q.data.period_kind, adminLevel: q.data.admin_level, limit: q.data.limit }),
        RankingRow,
      ),
    );
    const kpis = orderKpis(
      [...new Set(rows.map((r) => r.kpi))].map((kpi) => ({ kpi })),
      catalog,
    );
    return {
      periodKind: q.data.period_kind,
      tables: kpis.map(({ kpi }) => {
        const agencies = rows.filter((r) => r.kpi === kpi);
        return {
          kpi,
          name: kpiName(kpi, catalog, lang),
          periodStart: agencies[0]?.period ?? null,
          rows: agencies.map((r, i) => ({
            rank: i + 1,
            agencyCode: r.agency_code,
            agencyName: r.agency_name || r.agency_code,
            adminLevel: r.admin_level || null,
            value: r.value,
            valueText: formatPercent(r.value, lang),
            denominator: r.denominator,
            denominatorText: formatNumber(r.denominator, lang),
            status: kpiStatus(r),
          })),
        };
      }),
    };
  });

  app.get('/api/filters', async () => {
    const rows = await orEmpty(() => queryRows(clickhouse, filterScopesQuery(), ScopeRow));
    return {
      adminLevels: rows.filter((r) => r.scope_kind === 'admin_level').map((r) => r.scope_code),
      agencies: rows
        .filter((r) => r.scope_kind === 'agency')
        .map((r) => ({
          code: r.scope_code,
          name: r.name || r.scope_code,
          adminLevel: r.admin_level || null,
        })),
      fields: rows.filter((r) => r.scope_kind === 'field').map((r) => r.scope_code),
    };
  });
}

function toCard(
  row: z.output<typeof KpiRow>,
  scope: { kind: string; code?: string },
  catalog: KpiCatalogView,
  lang: Lang,
) {
  const comparator = catalog.comparator(row.kpi, row.period, {
    kind: scope.kind,
    code: row.scope_code,
  });
  return {
    kpi: row.kpi,
    name: kpiName(row.kpi, catalog, lang),
    periodStart: row.period,
    phase: phaseInfo(row.period),
    value: row.value,
    valueText: formatPercent(row.value, lang),
    numerator: row.numerator,
    denominator: row.denominator,
    numeratorText: formatNumber(row.numerator, lang),
    denominatorText: formatNumber(row.denominator, lang),
    target: row.target,
    targetText: targetText(row.target, comparator, lang),
    status: kpiStatus(row),
    score: row.score,
    maxScore: row.max_score,
    scoreText:
      row.score === null || row.max_score === null
        ? null
        : `${formatNumber(row.score, lang, 2)} / ${formatNumber(row.max_score, lang)}`,
    computedAt: row.computed_at,
  };
}

/** Before the aggregator's migrations ran there is no kpi_latest: an empty dashboard, not an error page. */
async function orEmpty<T>(load: () => Promise<T[]>): Promise<T[]> {
  try {
    return await load();
  } catch (err) {
    if (isMissingTable(err)) return [];
    throw err;
  }
}
