import { runKpiCycle } from '@dossier/kpi';
import { z } from 'zod';
import { defineJob } from '../define-job.ts';

/** No options: a cycle covers every KPI (see runKpiCycle); use backfill-kpis for some KPIs or a range. */
export const RecomputeKpisData = z.strictObject({});

/** The periodic cycle: everything touched since the ingestion watermark, plus the current periods. */
export const recomputeKpis = defineJob({
  name: 'recompute-kpis',
  scheduled: true,
  data: RecomputeKpisData,
  async run(_data, { clickhouse, settings, runId, logger, signal, leases }) {
    const result = await runKpiCycle(clickhouse, {
      runId,
      periodKinds: settings.AGGREGATOR_PERIOD_KINDS,
      scopeKinds: settings.AGGREGATOR_SCOPE_KINDS,
      graceMs: settings.AGGREGATOR_GRACE_MS,
      dayHorizonDays: settings.AGGREGATOR_DAY_HORIZON_DAYS,
      signal,
      leases,
      onPhase: (phase) => logger.debug({ phase }, 'kpi cycle phase'),
      onWarning: (message, details) => logger.warn(details, message),
    });
    logger.info(
      {
        mode: result.mode,
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
