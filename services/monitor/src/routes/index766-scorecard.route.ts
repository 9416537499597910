import { isMissingTable } from '@dossier/clickhouse';
import { periodStartOf } from '@dossier/kpi';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import { resolveLang } from '../i18n.ts';
import {
  buildScorecard,
  ScorecardRow,
  scorecardPeriodsQuery,
  scorecardQuery,
} from '../index766/scorecard.ts';
import type { MonitorContext } from './context.ts';

const ScorecardQuery = z.object({
  lang: z.string().optional(),
  period_kind: z.enum(['month', 'quarter', 'year']).default('month'),
  period_start: z.iso.date().optional(),
});

/** The Decision 766 scorecard beside the programme KPIs: what kpi_latest holds, for one period. */
export function registerIndex766ScorecardRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  app.get('/api/index766/scorecard', async (request, reply) => {
    const q = ScorecardQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'bad_request', issues: z.flattenError(q.error) });
    const lang = resolveLang(q.data.lang);
    const periodKind = q.data.period_kind;
    const current = periodStartOf(periodKind, ctx.now());
    try {
      const periods = (
        await queryRows(ctx.clickhouse, scorecardPeriodsQuery(periodKind), z.object({ period: z.string() }))
      ).map((r) => r.period);
      // The current period by default; before its first computation, the newest one that has scores.
      const periodStart =
        q.data.period_start ?? (periods.includes(current) || periods.length === 0 ? current : periods[0]);
      const rows = await queryRows(
        ctx.clickhouse,
        scorecardQuery(periodKind, periodStart as string),
        ScorecardRow,
      );
      return { periodKind, periodStart, current, periods, units: buildScorecard(rows, lang) };
    } catch (err) {
      if (!isMissingTable(err)) throw err;
      return { periodKind, periodStart: q.data.period_start ?? current, current, periods: [], units: [] };
    }
  });
}
