import { randomBytes } from 'node:crypto';
import { isMissingTable } from '@dossier/clickhouse';
import {
  CALENDAR_VIEW,
  CalendarCsvRefused,
  calendarLoadRows,
  type ParsedCalendar,
  parseCalendarCsv,
  storeCalendarLoad,
} from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditDetails } from '../auth/audit.ts';
import { queryRows } from '../clickhouse-rows.ts';
import type { MonitorContext } from './context.ts';
import { badRequest } from './dead-letters.route.ts';

export const MAX_CALENDAR_BYTES = 1024 * 1024;

const LoadBody = z.strictObject({
  csv: z.string().min(1).max(MAX_CALENDAR_BYTES),
  dryRun: z.boolean().default(false),
});

const CalendarDayRow = z.object({
  year: z.coerce.number(),
  date: z.string(),
  kind: z.string(),
  name: z.string(),
  source: z.string(),
  load_id: z.string(),
  loaded_at: z.string(),
});

/**
 * The operator's loader of the working calendar (docs/operations.md): a CSV of days off and weekend days
 * worked, stored with one INSERT straight into working_calendar_v1 (a calendar is a few dozen lines and
 * nothing else consumes it, so it takes no trip through Kafka). A file with any bad line stores nothing.
 */
export function registerWorkingCalendarRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  // The latest load of a year wins: load times are the wall clock, strictly increasing within a process.
  let lastLoadMs = 0;
  app.post(
    '/api/working-calendar',
    { config: { action: 'working-calendar.load' }, bodyLimit: MAX_CALENDAR_BYTES + 64 * 1024 },
    async (request, reply) => {
      const body = LoadBody.safeParse(request.body ?? {});
      if (!body.success) return badRequest(reply, body.error);
      const { csv, dryRun } = body.data;
      let parsed: ParsedCalendar;
      try {
        parsed = parseCalendarCsv(csv);
      } catch (err) {
        if (!(err instanceof CalendarCsvRefused)) throw err;
        auditDetails(request, { refused: err.message });
        return reply.code(400).send({ error: 'csv_refused', message: err.message, rejected: [] });
      }
      const lines = parsed.rows.length + parsed.rejected.length;
      if (parsed.rejected.length > 0) {
        auditDetails(request, { lines, rejected: parsed.rejected.length, stored: 0 });
        return reply.code(422).send({
          error: 'lines_rejected',
          message: `${parsed.rejected.length} of ${lines} lines rejected; nothing was loaded: fix them and load the file again`,
          rejected: parsed.rejected,
        });
      }
      lastLoadMs = Math.max(Date.now(), lastLoadMs + 1);
      const now = new Date(lastLoadMs);
      const loadedAt = formatUtc(now.getTime());
      const loadId = `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
      const rows = calendarLoadRows(parsed, loadId, loadedAt);
      if (!dryRun) await storeCalendarLoad(ctx.clickhouse, rows);
      const summary = {
        loadId,
        loadedAt: now.toISOString(),
        dryRun,
        lines,
        years: parsed.years,
        holidays: parsed.rows.filter((r) => r.kind === 'holiday').length,
        workingDays: parsed.rows.filter((r) => r.kind === 'working_day').length,
        stored: dryRun ? 0 : parsed.rows.length,
        rejected: [],
      };
      auditDetails(request, { loadId, dryRun, lines, years: parsed.years, stored: summary.stored });
      ctx.logger.info({ ...summary, rejected: 0 }, 'working calendar loaded');
      return summary;
    },
  );

  /** The effective calendar: the years it covers and their days, each with the load it came from. */
  app.get('/api/working-calendar', async () => {
    let rows: z.output<typeof CalendarDayRow>[] = [];
    try {
      rows = await queryRows(
        ctx.clickhouse,
        {
          query: `SELECT toString(year) AS year, toString(date) AS date, toString(kind) AS kind, name, source,
  load_id, toString(loaded_at) AS loaded_at
FROM ${CALENDAR_VIEW} ORDER BY date, kind`,
          query_params: {},
        },
        CalendarDayRow,
      );
    } catch (err) {
      if (!isMissingTable(err)) throw err;
    }
    const years = rows.filter((r) => r.kind === 'year');
    return {
      years: years.map((r) => ({ year: r.year, loadId: r.load_id, loadedAt: r.loaded_at })),
      days: rows
        .filter((r) => r.kind !== 'year')
        .map((r) => ({ date: r.date, kind: r.kind, name: r.name, source: r.source, loadId: r.load_id })),
      note: 'Working days are Monday to Friday less the holidays plus the working days listed; a year not listed counts weekends only.',
    };
  });
}
