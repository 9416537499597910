import { backfillKpis, KPI_IDS } from '@dossier/kpi';
import { z } from 'zod';
import { defineJob } from '../define-job.ts';

export const BackfillKpisData = z
  .strictObject({
    from: z.iso.date(),
    to: z.iso.date(),
    kpis: z.array(z.enum(KPI_IDS as [string, ...string[]])).optional(),
    refreshFacts: z.boolean().default(true),
  })
  .refine((d) => d.from <= d.to, { message: 'from must not be after to', path: ['to'] });
export type BackfillKpisData = z.input<typeof BackfillKpisData>;

/** On demand (`npm run backfill`): recompute every period overlapping a date range. */
export const backfillKpisJob = defineJob({
  name: 'backfill-kpis',
  scheduled: false,
  data: BackfillKpisData,
  async run(data, { clickhouse, settings, runId, logger, signal, leases }) {
    const result = await backfillKpis(clickhouse, {
      runId,
      fromDate: data.from,
      toDate: data.to,
      kpiIds: data.kpis,
      refreshFacts: data.refreshFacts,
      periodKinds: settings.AGGREGATOR_PERIOD_KINDS,
      scopeKinds: settings.AGGREGATOR_SCOPE_KINDS,
      // Cells below the cycles' day horizon are built only when the range reaches there.
      dayHorizonDays: settings.AGGREGATOR_DAY_HORIZON_DAYS,
      signal,
      leases,
    });
    logger.info(
      { from: data.from, to: data.to, periods: result.periodsRecomputed, rows: result.rowsWritten },
      'kpi backfill done',
    );
    return result;
  },
});
