CREATE MATERIALIZED VIEW IF NOT EXISTS dossier_state_mv_v1 TO dossier_state_v1 AS
SELECT
    e.dossier_code AS dossier_code,
    argMaxState(e.agency_code, (e.version, e.event_id)) AS agency_code,
    argMaxState(e.procedure_code, (e.version, e.event_id)) AS procedure_code,
    argMaxState(e.field_code, (e.version, e.event_id)) AS field_code,
    argMaxState(e.channel, (e.version, e.event_id)) AS channel,
    min(e.submitted_at) AS submitted_at,
    min(e.received_at) AS received_at,
    argMaxState(e.due_at, (e.version, e.event_id)) AS due_at,
    min(e.finished_at) AS finished_at,
    argMinStateIf(assumeNotNull(e.finish_kind), (assumeNotNull(e.finished_at), e.event_id), e.finished_at IS NOT NULL AND e.finish_kind IS NOT NULL) AS finish_kind,
    argMaxState(e.fee_vnd, (e.version, e.event_id)) AS fee_vnd,
    max(e.paid_online) AS paid_online,
    argMaxState(e.payment_channel, (e.version, e.event_id)) AS payment_channel,
    groupUniqArrayArrayState(e.supplement_requested_at) AS supplement_requested_at,
    groupUniqArrayArrayState(e.supplement_received_at) AS supplement_received_at,
    max(e.components_digitized) AS components_digitized,
    max(e.result_digitized) AS result_digitized,
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
