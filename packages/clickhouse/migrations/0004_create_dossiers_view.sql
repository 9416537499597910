-- Finalized dossier state for readers (aggregator, analysts). Supplement arrays are sorted so that the
-- i-th receipt answers the i-th request.
CREATE VIEW IF NOT EXISTS dossiers_v1 AS
SELECT
    dossier_code,
    argMaxMerge(agency_code) AS agency_code,
    argMaxMerge(procedure_code) AS procedure_code,
    argMaxMerge(field_code) AS field_code,
    argMaxMerge(channel) AS channel,
    min(submitted_at) AS submitted_at,
    min(received_at) AS received_at,
    argMaxMerge(due_at) AS due_at,
    min(finished_at) AS finished_at,
    argMinMerge(finish_kind) AS finish_kind,
    argMaxMerge(fee_vnd) AS fee_vnd,
    max(paid_online) AS paid_online,
    argMaxMerge(payment_channel) AS payment_channel,
    arraySort(groupUniqArrayArrayMerge(supplement_requested_at)) AS supplement_requested_at,
    arraySort(groupUniqArrayArrayMerge(supplement_received_at)) AS supplement_received_at,
    max(components_digitized) AS components_digitized,
    max(result_digitized) AS result_digitized,
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
