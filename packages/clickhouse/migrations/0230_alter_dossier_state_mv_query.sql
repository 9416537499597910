-- The dossier state materialized view's query with the appointments' history (0228, 0229); migration
-- 0235 folds the rows written before into it.
ALTER TABLE dossier_state_mv_v1 MODIFY QUERY
SELECT
    e.dossier_code AS dossier_code,
    argMaxState(e.agency_code, (e.version, e.event_id)) AS agency_code,
    argMaxState(e.procedure_code, (e.version, e.event_id)) AS procedure_code,
    argMaxState(e.field_code, (e.version, e.event_id)) AS field_code,
    argMaxState(e.channel, (e.version, e.event_id)) AS channel,
    min(e.submitted_at) AS submitted_at,
    min(e.received_at) AS received_at,
    argMaxState(e.due_at, (e.version, e.event_id)) AS due_at,
    minMap(
        arrayConcat(if(e.due_before_at IS NULL, [], [assumeNotNull(e.due_before_at)]), if(e.due_at IS NULL, [], [assumeNotNull(e.due_at)])),
        arrayConcat(if(e.due_before_at IS NULL, [], [toDateTime64(0, 3, 'UTC')]), if(e.due_at IS NULL, [], [coalesce(e.due_since_at, e.occurred_at)]))) AS due_history,
    min(e.finished_at) AS finished_at,
    argMinStateIf(assumeNotNull(e.finish_kind), (assumeNotNull(e.finished_at), e.event_id), e.finished_at IS NOT NULL AND e.finish_kind IS NOT NULL) AS finish_kind,
    argMaxState(e.fee_vnd, (e.version, e.event_id)) AS fee_vnd,
    max(e.paid_online) AS paid_online,
    argMaxState(e.payment_channel, (e.version, e.event_id)) AS payment_channel,
    groupUniqArrayArrayState(e.supplement_requested_at) AS supplement_requested_at,
    groupUniqArrayArrayState(e.supplement_received_at) AS supplement_received_at,
    max(e.components_digitized) AS components_digitized,
    max(e.result_digitized) AS result_digitized,
    argMaxState(e.docs_total, (e.version, e.event_id)) AS docs_total,
    argMaxState(e.docs_with_file, (e.version, e.event_id)) AS docs_with_file,
    argMaxState(e.docs_digitized, (e.version, e.event_id)) AS docs_digitized,
    argMaxState(e.docs_reused, (e.version, e.event_id)) AS docs_reused,
    argMaxState(e.docs_from_national_store, (e.version, e.event_id)) AS docs_from_national_store,
    max(e.has_digitized_component) AS has_digitized_component,
    max(e.result_code_and_file) AS result_code_and_file,
    max(e.result_to_applicant_store) AS result_to_applicant_store,
    max(e.vneid_verified) AS vneid_verified,
    max(e.population_db_used) AS population_db_used,
    min(e.synced_national_at) AS synced_national_at,
    argMaxState(e.rating_satisfied, (e.version, e.event_id)) AS rating_satisfied,
    argMaxState(e.rating_score, (e.version, e.event_id)) AS rating_score,
    argMaxState(e.applicant_kind, (e.version, e.event_id)) AS applicant_kind,
    argMaxState(e.applicant_hash, (e.version, e.event_id)) AS applicant_hash,
    max(e.version) AS last_version,
    min(e.ingested_at) AS first_ingested_at,
    max(e.ingested_at) AS last_ingested_at
FROM dossier_events_v1 AS e
GROUP BY e.dossier_code
