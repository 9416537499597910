import type { ClickHouse } from '@dossier/clickhouse';
import {
  AT_RISK_STATES,
  type AtRiskState,
  atRiskListCutDay,
  atRiskSoonUntil,
  atRiskUnitCountsSql,
  atRiskUnitRowsSql,
  CALENDAR_VIEW,
  calendarOfRows,
  calendarParams,
  DEFAULT_HORIZON,
  type DueDayCount,
  type EffectiveCalendarRow,
  UNIT_PARENTS_SQL,
  unitTree,
} from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
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

/** The hierarchy and the working calendar in one statement: a row per agency, a row per calendar entry. */
const CONTEXT_SQL = `SELECT 'unit' AS what, code AS a, parent AS b, '' AS c FROM (${UNIT_PARENTS_SQL})
UNION ALL
SELECT 'calendar' AS what, toString(year) AS a, toString(date) AS b, toString(kind) AS c FROM ${CALENDAR_VIEW}`;
const ContextRow = z.object({
  what: z.enum(['unit', 'calendar']),
  a: z.string(),
  b: z.string(),
  c: z.string(),
});

/** A row of the counts per unit and per due day (atRiskUnitCountsSql byDueDay): one of the two keys is null. */
const UnitOrDayCount = z.object({
  agency_code: z.string().nullable(),
  day: z.string().nullable(),
  state: z.enum(AT_RISK_STATES),
  n: z.coerce.number(),
});

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
 * deepest unit (with, for a page, the same per due day, to stop the list early), every matching row
 * sorted by working days left, and one page of them (parameters as_of, soon_until, state, horizon,
 * limit, offset, and up_to_day for `pageUpTo`). They read dossiers_at_risk_v1's rows from its table's key
 * ranges of those units (at-risk.sql.ts).
 */
export function atRiskSql(units: readonly string[] | null, state: AtRiskState | undefined) {
  // The calendar travels as parameters (read once per request), not as three subqueries per statement.
  const where = state ? 'WHERE state = {state:String}' : '';
  const listOf = (upToDay: boolean) => `SELECT dossier_code, agency_code, procedure_code, field_code, channel,
  toString(received_at) AS received_at, if(due_at IS NULL, NULL, toString(due_at)) AS due_at,
  working_days_left, state, calendar_complete, toString(as_of) AS as_of
FROM (${atRiskUnitRowsSql(units, 'params', upToDay)}) ${where}
ORDER BY working_days_left ASC NULLS LAST, dossier_code`;
  const list = listOf(false);
  return {
    counts: `SELECT agency_code, state, toString(n) AS n FROM (${atRiskUnitCountsSql(units, 'params')})`,
    countsByDueDay: atRiskUnitCountsSql(units, 'params', true),
    list,
    page: `${list} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    pageUpTo: `${listOf(true)} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
  };
}

type Counts = Record<AtRiskState, number>;
const zero = (): Counts => ({ overdue: 0, due_soon: 0, waiting_applicant: 0, on_track: 0 });

export type AtRiskQuery = Omit<z.output<typeof Query>, 'format'>;

/**
 * The counts by state of a unit (its sub-units at any depth) or the city, per unit rolled up along the
 * chains: the hierarchy and the calendar read once (one statement), the unit's sub-units naming the key
 * ranges read, every statement judging at the same instant. The bench times it for the whole city.
 */
export async function readAtRiskCounts(
  clickhouse: ClickHouse,
  q: Pick<AtRiskQuery, 'agency' | 'state' | 'horizon'>,
  byDueDay = false,
) {
  const { agency, state, horizon } = q;
  const context = await queryRows(clickhouse, { query: CONTEXT_SQL, query_params: {} }, ContextRow);
  const tree = unitTree(context.filter((r) => r.what === 'unit').map((r) => ({ code: r.a, parent: r.b })));
  const calendar = calendarOfRows(
    context
      .filter((r) => r.what === 'calendar')
      .map((r) => ({ year: Number(r.a), date: r.b, kind: r.c as EffectiveCalendarRow['kind'] })),
  );
  const now = new Date();
  const sql = atRiskSql(agency ? tree.descendantsOf(agency) : null, state);
  const params = {
    as_of: formatUtc(now.getTime()),
    soon_until: atRiskSoonUntil(calendar, now, horizon),
    state: state ?? '',
    horizon,
    ...calendarParams(calendar),
  };
  const counted: z.output<typeof Count>[] = [];
  const dueDays: DueDayCount[] = [];
  if (byDueDay) {
    const rows = await queryRows(
      clickhouse,
      { query: sql.countsByDueDay, query_params: params },
      UnitOrDayCount,
    );
    for (const r of rows) {
      if (r.agency_code !== null) counted.push({ agency_code: r.agency_code, state: r.state, n: r.n });
      else if (r.day !== null && r.state !== 'waiting_applicant')
        dueDays.push({ day: r.day, state: r.state, n: r.n });
    }
    dueDays.sort((a, b) => a.day.localeCompare(b.day));
  } else {
    counted.push(...(await queryRows(clickhouse, { query: sql.counts, query_params: params }, Count)));
  }
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
  return { sql, params, calendar, total, perUnit, dueDays };
}

/**
 * GET /api/at-risk's answer, with one page of rows or (`all`, for CSV) every matching row. A page of a
 * unit reads only the rows due by the day its first rows reach (atRiskListCutDay), from the counts per
 * due day taken in the same pass as the counts per unit. The bench times it for one unit.
 */
export async function readAtRisk(clickhouse: ClickHouse, q: AtRiskQuery, all = false) {
  const { agency, state, horizon, page, pageSize } = q;
  const { sql, params, calendar, total, perUnit, dueDays } = await readAtRiskCounts(clickhouse, q, !all);
  const matching = state ? total[state] : Object.values(total).reduce((a, b) => a + b, 0);
  const window = { limit: pageSize, offset: (page - 1) * pageSize };
  const upToDay = all ? null : atRiskListCutDay(calendar, dueDays, window.offset + window.limit, state);
  const rows: Row[] = await queryRows(
    clickhouse,
    all
      ? { query: sql.list, query_params: params }
      : upToDay === null
        ? { query: sql.page, query_params: { ...params, ...window } }
        : { query: sql.pageUpTo, query_params: { ...params, ...window, up_to_day: upToDay } },
    Row,
  );
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
