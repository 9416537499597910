import type { ClickHouse } from '@dossier/clickhouse';
import {
  AT_RISK_STATES,
  type AtRiskState,
  atRiskUnitCountsSql,
  atRiskUnitRowsSql,
  calendarParams,
  DEFAULT_HORIZON,
  readWorkingCalendar,
  UNIT_PARENTS_SQL,
  unitTree,
} from '@dossier/kpi';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows } from '../clickhouse-rows.ts';
import type { MonitorContext } from './context.ts';
import { badRequest } from './dead-letters.route.ts';

// GET /api/at-risk: dossiers_at_risk_v1 for one unit and its sub-units at any depth (the Decision 766
// hierarchy of index766/units.ts), with the counts by state of every unit in it, rolled up.

const Query = z.object({
  agency: z.string().trim().min(1).max(200).optional(),
  state: z.enum(AT_RISK_STATES).optional(),
  horizon: z.coerce.number().int().min(0).max(60).default(DEFAULT_HORIZON),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  format: z.enum(['json', 'csv']).default('json'),
});

const Row = z.object({
  dossier_code: z.string(),
  agency_code: z.string(),
  procedure_code: z.string(),
  field_code: z.string(),
  channel: z.string(),
  received_at: z.string(),
  due_at: z.string().nullable(),
  working_days_left: z.coerce.number().nullable(),
  state: z.enum(AT_RISK_STATES),
  calendar_complete: z.coerce.number(),
  as_of: z.string(),
});
type Row = z.output<typeof Row>;

const UnitParentRow = z.object({ code: z.string(), parent: z.string() });

const Count = z.object({
  agency_code: z.string(),
  state: z.enum(AT_RISK_STATES),
  n: z.coerce.number(),
});

const CSV_COLUMNS = [
  'dossier_code',
  'agency_code',
  'procedure_code',
  'field_code',
  'channel',
  'received_at',
  'due_at',
  'working_days_left',
  'state',
  'calendar_complete',
  'as_of',
] as const;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * The route's statements for a set of deepest units (null: the city) and a state: the counts by state per
 * deepest unit, every matching row sorted by working days left, and one page of them (parameters state,
 * horizon, limit, offset). They read dossiers_at_risk_v1's rows from its table's key ranges of those
 * units (at-risk.sql.ts).
 */
export function atRiskSql(units: readonly string[] | null, state: AtRiskState | undefined) {
  // The calendar travels as parameters (read once per request), not as three subqueries per statement.
  const where = state ? 'WHERE state = {state:String}' : '';
  const list = `SELECT dossier_code, agency_code, procedure_code, field_code, channel,
  toString(received_at) AS received_at, if(due_at IS NULL, NULL, toString(due_at)) AS due_at,
  working_days_left, state, calendar_complete, toString(as_of) AS as_of
FROM (${atRiskUnitRowsSql(units, 'params')}) ${where}
ORDER BY working_days_left ASC NULLS LAST, dossier_code`;
  return {
    counts: `SELECT agency_code, state, toString(n) AS n FROM (${atRiskUnitCountsSql(units, 'params')})`,
    list,
    page: `${list} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
  };
}

type Counts = Record<AtRiskState, number>;
const zero = (): Counts => ({ overdue: 0, due_soon: 0, waiting_applicant: 0, on_track: 0 });

export type AtRiskQuery = Omit<z.output<typeof Query>, 'format'>;

/**
 * The counts by state of a unit (its sub-units at any depth) or the city, per unit rolled up along the
 * chains: the hierarchy read once (a row per agency), the unit's sub-units naming the key ranges read.
 * The bench times it for the whole city.
 */
export async function readAtRiskCounts(
  clickhouse: ClickHouse,
  q: Pick<AtRiskQuery, 'agency' | 'state' | 'horizon'>,
) {
  const { agency, state, horizon } = q;
  const [parents, calendar] = await Promise.all([
    queryRows(clickhouse, { query: UNIT_PARENTS_SQL, query_params: {} }, UnitParentRow),
    readWorkingCalendar(clickhouse),
  ]);
  const tree = unitTree(parents);
  const sql = atRiskSql(agency ? tree.descendantsOf(agency) : null, state);
  const params = { state: state ?? '', horizon, ...calendarParams(calendar) };
  const counted = await queryRows(clickhouse, { query: sql.counts, query_params: params }, Count);
  // Each unit counts its own dossiers and its sub-units' at any depth (within the agency asked for).
  const perUnit = new Map<string, Counts>();
  const total = zero();
  for (const c of counted) {
    total[c.state] += c.n;
    const chain = tree.chainOf(c.agency_code);
    const units = agency ? chain.slice(0, chain.indexOf(agency) + 1) : chain;
    for (const unit of units) {
      const counts = perUnit.get(unit) ?? zero();
      counts[c.state] += c.n;
      perUnit.set(unit, counts);
    }
  }
  return { sql, params, total, perUnit };
}

/** GET /api/at-risk's answer, with one page of rows or (`all`, for CSV) every matching row. The bench times it for one unit. */
export async function readAtRisk(clickhouse: ClickHouse, q: AtRiskQuery, all = false) {
  const { agency, state, horizon, page, pageSize } = q;
  const { sql, params, total, perUnit } = await readAtRiskCounts(clickhouse, q);
  const rows: Row[] = await queryRows(
    clickhouse,
    all
      ? { query: sql.list, query_params: params }
      : { query: sql.page, query_params: { ...params, limit: pageSize, offset: (page - 1) * pageSize } },
    Row,
  );
  const matching = state ? total[state] : Object.values(total).reduce((a, b) => a + b, 0);
  return {
    asOf: rows[0]?.as_of ?? null,
    agency: agency ?? null,
    horizon,
    state: state ?? null,
    page,
    pageSize,
    total: matching,
    counts: total,
    units: [...perUnit.entries()]
      .map(([code, counts]) => ({ agency: code, counts }))
      .sort((a, b) => a.agency.localeCompare(b.agency)),
    rows,
    note: 'Open dossiers as of the last KPI cycle, judged now; dossiers that arrive later in the period are not guessed.',
  };
}

export function registerAtRiskRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  app.get('/api/at-risk', async (request, reply) => {
    const q = Query.safeParse(request.query ?? {});
    if (!q.success) return badRequest(reply, q.error);
    const { format, ...query } = q.data;
    if (format === 'csv') {
      const { rows } = await readAtRisk(ctx.clickhouse, query, true);
      const lines = [
        CSV_COLUMNS.join(','),
        ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')),
      ];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="dossiers-at-risk.csv"')
        .send(`${lines.join('\n')}\n`);
    }
    return readAtRisk(ctx.clickhouse, query);
  });
}
