import { chainOfSql } from '../index766/units.ts';
import { onTimeSql } from '../sql/cells.sql.ts';

// The counts outlook.ts scores, read for one unit (its sub-units at any depth) or the city. Parameters:
// {agency:String} ('' for the city), {period_end:DateTime64(3, 'UTC')}, {since:DateTime64(3, 'UTC')} (the
// projection window's start), {now:DateTime64(3, 'UTC')}, {period_kind:String}, {period_start:Date},
// {scope_kind:String} and {kpis:Array(String)}.

const IN_UNIT = `({agency:String} = '' OR has(${chainOfSql('agency_code')}, {agency:String}))`;

/** Open dossiers per deepest unit and procedure: at stake before {period_end}, waiting, overdue. */
export const OUTLOOK_CELLS_SQL = `SELECT agency_code AS agency, ${chainOfSql('agency_code')} AS chain,
  procedure_code AS procedure,
  toUInt32(countIf(state IN ('due_soon', 'on_track') AND effective_due_at < {period_end:DateTime64(3, 'UTC')})) AS at_stake,
  toUInt32(countIf(state = 'waiting_applicant')) AS waiting_applicant,
  toUInt32(countIf(state = 'overdue')) AS overdue
FROM dossiers_at_risk_v1
WHERE ${IN_UNIT}
GROUP BY agency_code, procedure_code`;

/**
 * Dossiers of the units holding open dossiers that finished in [{since}, {now}), per unit and procedure,
 * and how many of them on time: the progress rule judged at their finish (at most one supplement request,
 * finished by the deadline moved by that supplement's wait; no deadline at all is on time).
 */
export const OUTLOOK_HISTORY_SQL = `SELECT agency_code AS agency, procedure_code AS procedure,
  toUInt32(count()) AS finished, toUInt32(countIf(on_time)) AS on_time
FROM
(
  SELECT agency_code, procedure_code,
    ${onTimeSql('finished_at')}
  FROM kpi_dossier_facts_v1 FINAL
  WHERE finished_at >= {since:DateTime64(3, 'UTC')} AND finished_at < {now:DateTime64(3, 'UTC')}
    AND received_at IS NOT NULL AND finish_kind != 'rejected'
    AND agency_code IN (SELECT DISTINCT agency_code FROM dossiers_at_risk_v1 WHERE ${IN_UNIT})
)
GROUP BY agency_code, procedure_code`;

/** kpi_latest's progress, 5.4 and total rows of the unit (or the city) for the period. */
export const OUTLOOK_SCORES_SQL = `SELECT kpi, toFloat64(numerator) AS numerator, toFloat64(denominator) AS denominator,
  toNullable(toFloat64(score)) AS score, toNullable(toFloat64(max_score)) AS max_score,
  toString(computed_at) AS computed_at
FROM kpi_latest
WHERE kpi IN {kpis:Array(String)} AND scope_kind = {scope_kind:String} AND scope_code = {agency:String}
  AND period_kind = {period_kind:String} AND period_start = {period_start:Date}`;
