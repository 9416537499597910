import { verifyKpiState } from '@dossier/kpi';
import { z } from 'zod';
import { defineJob } from '../define-job.ts';

export const VerifyKpisData = z.strictObject({});

/**
 * On demand (`npm run kpi:verify`): recomputes every cell and the open facts from the stored facts and
 * counts what the increments got wrong (all zeros when exact), and the Decision 766 running inputs the
 * next cycle would start from. Reads everything; writes only scratch rows.
 */
export const verifyKpisJob = defineJob({
  name: 'verify-kpis',
  scheduled: false,
  data: VerifyKpisData,
  async run(_data, { clickhouse, settings, logger }) {
    const check = await verifyKpiState(clickhouse, {
      dayHorizonDays: settings.AGGREGATOR_DAY_HORIZON_DAYS,
      graceMs: settings.AGGREGATOR_GRACE_MS,
    });
    logger[check.exact ? 'info' : 'error'](
      { check },
      check.exact ? 'kpi state verified' : 'kpi state differs from its facts',
    );
    return {
      mode: 'verify',
      kpiIds: [],
      rowsWritten: 0,
      dossiersRefreshed: 0,
      periodsRecomputed: 0,
      details: { exact: check.exact, check },
    };
  },
});
