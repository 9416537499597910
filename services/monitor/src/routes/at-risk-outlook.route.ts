import {
  INDEX766_TOTAL,
  MIN_HISTORY,
  nextPeriodStart,
  OUTLOOK_CELLS_SQL,
  OUTLOOK_HISTORY_SQL,
  OUTLOOK_SCORES_SQL,
  outlookOf,
  PROJECTION_WINDOW_DAYS,
  periodStartOf,
  type Ratio,
} from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import type { MonitorContext } from './context.ts';
import { badRequest } from './dead-letters.route.ts';

// GET /api/at-risk/outlook: the Decision 766 progress and dossier-satisfaction scores a unit (sub-units at
// any depth) or the city is heading for in the current month, quarter or year (kpi/at-risk/outlook.ts).

const Query = z.object({
  agency: z.string().trim().min(1).max(200).optional(),
  period_kind: z.enum(['month', 'quarter', 'year']).default('month'),
});

const PROGRESS = 'index766.progress';
const SATISFACTION = 'index766.satisfaction.dossier_satisfaction';

const Cell = z.object({
  agency: z.string(),
  chain: z.array(z.string()),
  procedure: z.string(),
  at_stake: z.coerce.number(),
  waiting_applicant: z.coerce.number(),
  overdue: z.coerce.number(),
});
const History = z.object({
  agency: z.string(),
  procedure: z.string(),
  finished: z.coerce.number(),
  on_time: z.coerce.number(),
});
const Score = z.object({
  kpi: z.string(),
  numerator: z.number(),
  denominator: z.number(),
  score: z.number().nullable(),
  max_score: z.number().nullable(),
  computed_at: z.string(),
});

const DAY_MS = 86_400_000;

export const OUTLOOK_NOTE =
  'Open dossiers only: dossiers that will arrive later in the period are not guessed. "now" is the last KPI cycle; ' +
  '"ifMissed" lets every dossier at stake (not overdue, not waiting for the applicant, due before the period ends) ' +
  'turn late; "projected" expects each of them on time with the recent on-time share of its procedure at its unit.';

export function registerAtRiskOutlookRoute(app: FastifyInstance, ctx: MonitorContext): void {
  app.get('/api/at-risk/outlook', async (request, reply) => {
    const q = Query.safeParse(request.query ?? {});
    if (!q.success) return badRequest(reply, q.error);
    const { agency, period_kind: periodKind } = q.data;
    const now = ctx.now();
    const periodStart = periodStartOf(periodKind, now);
    const periodEnd = new Date(`${nextPeriodStart(periodKind, periodStart)}T00:00:00+07:00`);
    const params = {
      agency: agency ?? '',
      scope_kind: agency ? 'agency' : 'city',
      period_kind: periodKind,
      period_start: periodStart,
      period_end: formatUtc(periodEnd.getTime()),
      now: formatUtc(now.getTime()),
      since: formatUtc(now.getTime() - PROJECTION_WINDOW_DAYS * DAY_MS),
      kpis: [PROGRESS, SATISFACTION, INDEX766_TOTAL],
    };
    const [cells, history, scores] = await Promise.all([
      queryRows(ctx.clickhouse, { query: OUTLOOK_CELLS_SQL, query_params: params }, Cell),
      queryRows(ctx.clickhouse, { query: OUTLOOK_HISTORY_SQL, query_params: params }, History),
      queryRows(ctx.clickhouse, { query: OUTLOOK_SCORES_SQL, query_params: params }, Score),
    ]);
    const ratio = (kpi: string): Ratio | null => {
      const s = scores.find((r) => r.kpi === kpi);
      return s ? { numerator: s.numerator, denominator: s.denominator } : null;
    };
    const total = scores.find((r) => r.kpi === INDEX766_TOTAL);
    const outlook = outlookOf({
      unit: agency ?? null,
      progress: ratio(PROGRESS),
      dossierSatisfaction: ratio(SATISFACTION),
      total:
        total && total.score !== null
          ? { hundredths: Math.round(total.score * 100), maxPoints: total.max_score ?? 0 }
          : null,
      cells: cells.map((c) => ({
        agency: c.agency,
        chain: c.chain,
        procedure: c.procedure,
        atStake: c.at_stake,
        waitingApplicant: c.waiting_applicant,
        overdue: c.overdue,
      })),
      history: history.map((h) => ({
        agency: h.agency,
        procedure: h.procedure,
        finished: h.finished,
        onTime: h.on_time,
      })),
    });
    return {
      agency: agency ?? null,
      periodKind,
      periodStart,
      periodEnd: periodEnd.toISOString(),
      scoresComputedAt: scores[0]?.computed_at ?? null,
      ...outlook,
      method: { projectionWindowDays: PROJECTION_WINDOW_DAYS, minHistory: MIN_HISTORY },
      arrivalsGuessed: false,
      note: OUTLOOK_NOTE,
    };
  });
}
