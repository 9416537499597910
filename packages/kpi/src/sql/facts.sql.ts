import { TIME_ZONE } from '../periods.ts';
import { FACT_COLUMNS } from './cells.sql.ts';

/**
 * The facts of one slice of the dossiers into kpi_dossier_facts_v1 (a rebuild; the table was emptied
 * first): dossier codes in [{slice_from}, {slice_to}), an empty {slice_to} meaning no upper bound. The
 * range is on dossier_state_v1's sorting key, so a slice reads and merges only its own dossiers and its
 * memory follows the slice, not the history. Writing a slice twice changes nothing (ReplacingMergeTree).
 */
export const BUILD_FACTS_SQL = `INSERT INTO kpi_dossier_facts_v1 (${FACT_COLUMNS})
${factsSelectSql('slice')}`;

/**
 * The facts formula over every dossier, as the cell layout's fingerprint hashes it (cell-layout.ts): the
 * text it had before rebuilds ran in slices, so that slicing, which changes no fact, forces no rebuild.
 */
export const FACTS_FORMULA_SQL = `INSERT INTO kpi_dossier_facts_v1 (${FACT_COLUMNS})
${factsSelectSql('all')}`;

/**
 * The facts of the dossiers a run listed in kpi_run_dossiers_v1 as they stand now, staged as 'candidate'
 * rows: only those that differ from kpi_dossier_facts_v1 become the run's 'new' facts.
 */
export const STAGE_CANDIDATE_FACTS_SQL = `INSERT INTO kpi_stage_facts_v1 (run_id, role, sign, ${FACT_COLUMNS})
SELECT {run_id:String}, 'candidate', 1, * FROM (${factsSelectSql('run')})`;

/**
 * STAGE_CANDIDATE_FACTS_SQL of the dossiers with events ingested in the window (`ingested_at` in
 * ({from}, {to}], kpi_touched_v1), read where they are: what TOUCHED_DOSSIERS_SQL would list in
 * kpi_run_dossiers_v1, for a cycle with no catalog row to add dossiers of (one statement fewer).
 */
export const STAGE_TOUCHED_CANDIDATE_FACTS_SQL = `INSERT INTO kpi_stage_facts_v1 (run_id, role, sign, ${FACT_COLUMNS})
SELECT {run_id:String}, 'candidate', 1, * FROM (${factsSelectSql('touched')})`;

/**
 * Facts rows from dossiers_v1, either for the dossiers a run listed in kpi_run_dossiers_v1 ({run_id}),
 * those with events ingested in its window, or for a slice of the dossiers (BUILD_FACTS_SQL). The catalog row valid at the dossier's start (ASOF on valid_from) gives admin
 * level, field, fee-bearing and the legal maximum; when the dossier predates every catalog row, the
 * earliest row is used rather than leaving the scope empty. Columns in the order of FACT_COLUMNS.
 */
function factsSelectSql(target: 'run' | 'touched' | 'slice' | 'all'): string {
  const maxDays = "if(p.procedure_code != '', p.max_processing_working_days, p0.max_processing_working_days)";
  const paperResult = "if(p.procedure_code != '', p.paper_result_required, p0.paper_result_required)";
  const filter = {
    run: 'WHERE dossier_code IN (SELECT dossier_code FROM kpi_run_dossiers_v1 WHERE run_id = {run_id:String})',
    touched: `WHERE dossier_code IN (SELECT dossier_code FROM kpi_touched_v1
      WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')})`,
    slice:
      "WHERE dossier_code >= {slice_from:String} AND ({slice_to:String} = '' OR dossier_code < {slice_to:String})",
    all: '',
  }[target];
  return `
SELECT
  d.dossier_code,
  d.agency_code,
  if(a.agency_code != '', a.admin_level, a0.admin_level) AS admin_level,
  coalesce(nullIf(d.field_code, ''), if(p.procedure_code != '', p.field_code, p0.field_code), '') AS field_code,
  d.procedure_code,
  d.channel,
  d.start_at,
  d.received_at,
  d.finished_at,
  d.finish_kind,
  d.due_at,
  d.due_before_at,
  d.due_moved_at,
  if(d.due_at IS NULL AND ${maxDays} IS NOT NULL AND d.start_at IS NOT NULL,
     ${workingDayDeadlineSql('d.start_at', maxDays)}, NULL) AS deadline_no_due,
  d.supplement_requested_at,
  d.supplement_received_at,
  d.fee_vnd IS NOT NULL AS fee_known,
  coalesce(d.fee_vnd, 0) > 0 AS fee_positive,
  coalesce(d.paid_online, 0) AS paid_online,
  if(p.procedure_code != '', p.fee_bearing, p0.fee_bearing) AS fee_bearing,
  d.rating_satisfied,
  coalesce(d.components_digitized, 0) = 1 AND coalesce(d.result_digitized, 0) = 1 AS digitized,
  d.synced_national_at IS NOT NULL AS synced_national,
  coalesce(d.result_code_and_file, 0) = 1 AS e_result,
  -- Decision 766 (../shared/INDEX766.md): online only through the online channel and, when the procedure
  -- must return a paper result, with an electronic one (3.3); digitized: a file for every submitted
  -- component and, once resolved, a result file (4.2); reuse: at least one component digitized or reused
  -- (4.3); shared: a component from the national store or a result pushed to the applicant (4.4).
  d.channel = 'online' AND (${paperResult} = 0 OR e_result) AS online_with_result,
  coalesce(d.docs_total, 0) > 0 AND coalesce(d.docs_with_file, 0) >= coalesce(d.docs_total, 0)
    AND (d.finish_kind NOT IN ('resolved', 'result_returned') OR e_result
      OR coalesce(d.result_digitized, 0) = 1) AS dossier_digitized,
  coalesce(d.has_digitized_component, 0) = 1 OR coalesce(d.docs_digitized, 0) > 0
    OR coalesce(d.docs_reused, 0) > 0 AS data_reused,
  coalesce(d.docs_from_national_store, 0) > 0 OR coalesce(d.result_to_applicant_store, 0) = 1 AS data_shared,
  coalesce(d.vneid_verified, 0) = 1 OR coalesce(d.population_db_used, 0) = 1 AS population_db,
  toUInt64(toUnixTimestamp64Milli(d.last_ingested_at)) AS facts_version
FROM
(
  SELECT
    dossier_code,
    agency_code,
    coalesce(procedure_code, '') AS procedure_code,
    coalesce(field_code, '') AS field_code,
    coalesce(channel, '') AS channel,
    coalesce(received_at, submitted_at, finished_at) AS start_at,
    toDate(coalesce(start_at, toDateTime64('2000-01-01', 3, 'UTC')), '${TIME_ZONE}') AS start_date,
    received_at,
    finished_at,
    coalesce(finish_kind, '') AS finish_kind,
    due_at,
    due_before_at,
    due_moved_at,
    supplement_requested_at,
    supplement_received_at,
    fee_vnd,
    paid_online,
    rating_satisfied,
    components_digitized,
    result_digitized,
    docs_total,
    docs_with_file,
    docs_digitized,
    docs_reused,
    docs_from_national_store,
    has_digitized_component,
    result_code_and_file,
    result_to_applicant_store,
    vneid_verified,
    population_db_used,
    synced_national_at,
    last_ingested_at
  FROM dossiers_v1
  ${filter}
) AS d
ASOF LEFT JOIN (SELECT agency_code, admin_level, valid_from FROM agencies_v1 FINAL) AS a
  ON d.agency_code = a.agency_code AND d.start_date >= a.valid_from
LEFT JOIN
(
  SELECT agency_code, argMin(admin_level, valid_from) AS admin_level FROM agencies_v1 FINAL GROUP BY agency_code
) AS a0 ON d.agency_code = a0.agency_code
ASOF LEFT JOIN
(
  SELECT procedure_code, field_code, fee_bearing, max_processing_working_days, paper_result_required, valid_from
  FROM procedures_v1 FINAL
) AS p ON d.procedure_code = p.procedure_code AND d.start_date >= p.valid_from
LEFT JOIN
(
  SELECT procedure_code, argMin(field_code, valid_from) AS field_code, argMin(fee_bearing, valid_from) AS fee_bearing,
    argMin(max_processing_working_days, valid_from) AS max_processing_working_days,
    argMin(paper_result_required, valid_from) AS paper_result_required
  FROM procedures_v1 FINAL GROUP BY procedure_code
) AS p0 ON d.procedure_code = p0.procedure_code
SETTINGS join_use_nulls = 0`;
}

/**
 * The end (23:59:59.999 city time) of the day that is `days` working days (Mon–Fri, rounded up) after
 * the start day; a start on a weekend counts from the Friday before. Public holidays are not known.
 */
function workingDayDeadlineSql(startTs: string, days: string): string {
  const n = `toUInt32(ceil(${days}))`;
  const startDate = `toDate(${startTs}, '${TIME_ZONE}')`;
  const base = `subtractDays(${startDate}, multiIf(toDayOfWeek(${startDate}) = 6, 1, toDayOfWeek(${startDate}) = 7, 2, 0))`;
  const offset = `intDiv(${n}, 5) * 7 + (${n} % 5) + if(toDayOfWeek(${base}) + (${n} % 5) > 5, 2, 0)`;
  return `toDateTime64(addDays(${base}, ${offset} + 1), 3, '${TIME_ZONE}') - toIntervalMillisecond(1)`;
}
