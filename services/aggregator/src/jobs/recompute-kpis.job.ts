import { KPI_IDS, runKpiCycle } from '@dossier/kpi';
import { z } from 'zod';
import { defineJob } from '../define-job.ts';

export const RecomputeKpisData = z.strictObject({
  kpis: z.array(z.enum(KPI_IDS as [string, ...string[]])).optional(),
});

/** The periodic cycle: everything touched since the ingestion watermark, plus the current periods. */
export const recomputeKpis = defineJob({
  name: 'recompute-kpis',
  scheduled: true,
  data: RecomputeKpisData,
  async run(data, { clickhouse, settings, runId, logger }) {
    const result = await runKpiCycle(clickhouse, {
      runId,
      kpiIds: data.kpis,
      periodKinds: settings.periodKinds,
      scopeKinds: settings.scopeKinds,
      graceMs: settings.graceMs,
      dayHorizonDays: settings.dayHorizonDays,
    });
    logger.info(
      {
        window: result.window,
        dossiers: result.dossiersRefreshed,
        periods: result.periodsRecomputed,
        rows: result.rowsWritten,
      },
      'kpi cycle done',
    );
    return result;
  },
});
