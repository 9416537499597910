import type { KpiDefinition } from '../kpi-definition.ts';
import { PERIOD_SQL, type PeriodKind, periodEndSql, TIME_ZONE } from '../periods.ts';
import { feeBearingCatalogSql } from './procedure-kpis.sql.ts';
import { dossierPeriodsSql, runPeriodsFilterSql, runPeriodsSourceSql } from './run-periods.sql.ts';

export const DOSSIER_PURPOSES = ['dossier', 'all'] as const;

/**
 * One row per (dossier, period it takes part in) with the flags every dossier KPI is written against.
 *
 * On time (national rule), judged at the finish when the dossier finished in the period, otherwise at
 * the period end (or now, for the current period): more than one supplement request before that moment
 * makes it late; the time waiting for the one supplement (request to receipt, or to the judging moment
 * while still waiting) shifts the deadline; the deadline is the due date, else the procedure's legal
 * maximum in working days from the start (facts.deadline_no_due); with neither, it is on time.
 */
function participationSql(kind: PeriodKind): string {
  const startOf = PERIOD_SQL[kind].startOf;
  const periods = runPeriodsFilterSql(kind, DOSSIER_PURPOSES);
  const source = runPeriodsSourceSql(kind, DOSSIER_PURPOSES);
  return `
SELECT
  p AS period_start,
  toString(admin_level) AS admin_level,
  toString(agency_code) AS agency_code,
  toString(field_code) AS field_code,
  toString(procedure_code) AS procedure_code,
  channel, fee_known, fee_positive, paid_online, fee_bearing, rating_satisfied, digitized,
  least(${periodEndSql(kind, 'p')}, {now:DateTime64(3, 'UTC')}) AS judged_at,
  received_at IS NOT NULL AND ${startOf('received_at')} = p AS in_received,
  finished_at IS NOT NULL AND finished_at < judged_at AND ${startOf('finished_at')} = p AS in_finished,
  finish_kind IN ('resolved', 'result_returned') AS resolved,
  if(in_finished, finished_at, judged_at) AS judge_t,
  arrayCount(x -> x < judge_t, supplement_requested_at) AS supplement_requests,
  if(supplement_requests = 1,
     dateDiff('millisecond', supplement_requested_at[1],
       if(length(supplement_received_at) >= 1 AND supplement_received_at[1] < judge_t,
          greatest(supplement_received_at[1], supplement_requested_at[1]), judge_t)),
     0) AS waiting_ms,
  coalesce(due_at, deadline_no_due) AS deadline,
  supplement_requests <= 1 AND (deadline IS NULL OR judge_t <= deadline + toIntervalMillisecond(waiting_ms)) AS on_time
FROM kpi_dossier_facts_v1 FINAL
ARRAY JOIN ${dossierPeriodsSql(kind, `(SELECT min(period_start) FROM ${source})`, `(SELECT max(period_start) FROM ${source})`)} AS p
WHERE start_at IS NOT NULL AND start_at <= {now:DateTime64(3, 'UTC')}
  AND start_at < (SELECT toDateTime64(${PERIOD_SQL[kind].add}(max(period_start), 1), 3, '${TIME_ZONE}') FROM ${source})
  AND (finished_at IS NULL OR finished_at >= (SELECT toDateTime64(min(period_start), 3, '${TIME_ZONE}') FROM ${source}))
  AND p IN ${periods}`;
}

/**
 * New values of the dossier KPIs for the run's periods of `kind`: (kpi, scope_kind, scope_code,
 * period_start, numerator, denominator, score_override). Each KPI contributes its own aggregate
 * fragments from its definition; the 766 online-payment score also needs the scope's fee-bearing catalog.
 */
export function dossierKpisSql(kind: PeriodKind, kpis: readonly KpiDefinition[]): string {
  const nums = kpis.map((k) => `toUInt64(${k.sql.numerator})`).join(', ');
  const dens = kpis.map((k) => `toUInt64(${k.sql.denominator})`).join(', ');
  const scores = kpis.map((k) => `CAST(${k.sql.score ? `(${k.sql.score})` : 'NULL'} AS Nullable(Float64))`);
  const score = `[${scores.join(', ')}][indexOf({kpi_ids:Array(String)}, kpi)]`;
  return `
SELECT kpi, scope_kind, scope_code, period_start, numerator, denominator, ${score} AS score_override
FROM
(
  SELECT g.period_start AS period_start, g.scope_kind AS scope_kind, g.scope_code AS scope_code,
    g.nums AS nums, g.dens AS dens, g.fee_data_procs AS fee_data_procs, g.paid_online_procs AS paid_online_procs,
    c.catalog_fee_procs AS catalog_fee_procs
  FROM
  (
    SELECT period_start, sc.1 AS scope_kind, sc.2 AS scope_code,
      sumForEach(combo_nums) AS nums,
      sumForEach(combo_dens) AS dens,
      groupUniqArrayIf(procedure_code, with_fee_data) AS fee_data_procs,
      groupUniqArrayIf(procedure_code, with_online_payment) AS paid_online_procs
    FROM
    (
      -- Stage 1 groups by the finest scope combination, so the scope fan-out below multiplies groups, not dossiers.
      SELECT period_start, admin_level, agency_code, field_code, procedure_code,
        [${nums}] AS combo_nums,
        [${dens}] AS combo_dens,
        countIf(in_received AND fee_bearing = 1 AND fee_known = 1) > 0 AS with_fee_data,
        countIf(in_received AND fee_bearing = 1 AND paid_online = 1) > 0 AS with_online_payment
      FROM (${participationSql(kind)})
      GROUP BY period_start, admin_level, agency_code, field_code, procedure_code
    )
    ARRAY JOIN arrayConcat([('city', '')], arrayFilter(s -> s.2 != '',
      [('admin_level', admin_level), ('agency', agency_code), ('field', field_code), ('procedure', procedure_code)])) AS sc
    WHERE sc.1 IN {scope_kinds:Array(String)}
    GROUP BY period_start, scope_kind, scope_code
  ) AS g
  LEFT JOIN (${feeBearingCatalogSql(kind, DOSSIER_PURPOSES)}) AS c
    ON g.period_start = c.period_start AND g.scope_kind = c.scope_kind AND g.scope_code = c.scope_code
)
ARRAY JOIN {kpi_ids:Array(String)} AS kpi, nums AS numerator, dens AS denominator`;
}
