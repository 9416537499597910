-- dossiers_v1 with the appointments' history (0229): due_history as (in force from, appointment) pairs
-- in time order, and the appointment in force before
-- the last re-issue (due_before_at) with the instant it was re-issued (due_moved_at), NULL when the
-- appointment never changed. The on-time rule judges a past instant against the appointment in force then.
CREATE OR REPLACE VIEW dossiers_v1 AS
SELECT
    dossier_code,
    argMaxMerge(agency_code) AS agency_code,
    argMaxMerge(procedure_code) AS procedure_code,
    argMaxMerge(field_code) AS field_code,
    argMaxMerge(channel) AS channel,
    min(submitted_at) AS submitted_at,
    min(received_at) AS received_at,
    argMaxMerge(due_at) AS due_at,
    arraySort(arrayZip(minMap(due_history).2, minMap(due_history).1)) AS due_history,
    -- The last re-issue: after the last history entry whose appointment is not the one in force, the next
    -- entry (the one in force) says since when; before that instant the entry's appointment was in force.
    if(arrayLastIndex(h -> h.2 != assumeNotNull(due_at), due_history) BETWEEN 1 AND length(due_history) - 1,
        due_history[arrayLastIndex(h -> h.2 != assumeNotNull(due_at), due_history)].2, NULL) AS due_before_at,
    if(due_before_at IS NULL, NULL, due_history[arrayLastIndex(h -> h.2 != assumeNotNull(due_at), due_history) + 1].1) AS due_moved_at,
    min(finished_at) AS finished_at,
    argMinMerge(finish_kind) AS finish_kind,
    argMaxMerge(fee_vnd) AS fee_vnd,
    max(paid_online) AS paid_online,
    argMaxMerge(payment_channel) AS payment_channel,
    arraySort(groupUniqArrayArrayMerge(supplement_requested_at)) AS supplement_requested_at,
    arraySort(groupUniqArrayArrayMerge(supplement_received_at)) AS supplement_received_at,
    max(components_digitized) AS components_digitized,
    max(result_digitized) AS result_digitized,
    argMaxMerge(docs_total) AS docs_total,
    argMaxMerge(docs_with_file) AS docs_with_file,
    argMaxMerge(docs_digitized) AS docs_digitized,
    argMaxMerge(docs_reused) AS docs_reused,
    argMaxMerge(docs_from_national_store) AS docs_from_national_store,
    max(has_digitized_component) AS has_digitized_component,
    max(result_code_and_file) AS result_code_and_file,
    max(result_to_applicant_store) AS result_to_applicant_store,
    max(vneid_verified) AS vneid_verified,
    max(population_db_used) AS population_db_used,
    min(synced_national_at) AS synced_national_at,
    argMaxMerge(rating_satisfied) AS rating_satisfied,
    argMaxMerge(rating_score) AS rating_score,
    argMaxMerge(applicant_kind) AS applicant_kind,
    argMaxMerge(applicant_hash) AS applicant_hash,
    max(last_version) AS last_version,
    min(first_ingested_at) AS first_ingested_at,
    max(last_ingested_at) AS last_ingested_at
FROM dossier_state_v1
GROUP BY dossier_code
