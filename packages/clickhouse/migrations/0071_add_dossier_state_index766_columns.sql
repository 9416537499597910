-- The dossier state of the Decision 766 facts (0070): the latest list of submitted documents describes
-- them all (argMax by version, like the other changing attributes); the flags are true once any row says so.
ALTER TABLE dossier_state_v1
    ADD COLUMN IF NOT EXISTS docs_total AggregateFunction(argMax, Nullable(UInt16), Tuple(UInt64, String)) AFTER result_digitized,
    ADD COLUMN IF NOT EXISTS docs_with_file AggregateFunction(argMax, Nullable(UInt16), Tuple(UInt64, String)) AFTER docs_total,
    ADD COLUMN IF NOT EXISTS docs_digitized AggregateFunction(argMax, Nullable(UInt16), Tuple(UInt64, String)) AFTER docs_with_file,
    ADD COLUMN IF NOT EXISTS docs_reused AggregateFunction(argMax, Nullable(UInt16), Tuple(UInt64, String)) AFTER docs_digitized,
    ADD COLUMN IF NOT EXISTS docs_from_national_store AggregateFunction(argMax, Nullable(UInt16), Tuple(UInt64, String)) AFTER docs_reused,
    ADD COLUMN IF NOT EXISTS has_digitized_component SimpleAggregateFunction(max, Nullable(UInt8)) AFTER docs_from_national_store,
    ADD COLUMN IF NOT EXISTS result_code_and_file SimpleAggregateFunction(max, Nullable(UInt8)) AFTER has_digitized_component,
    ADD COLUMN IF NOT EXISTS result_to_applicant_store SimpleAggregateFunction(max, Nullable(UInt8)) AFTER result_code_and_file,
    ADD COLUMN IF NOT EXISTS vneid_verified SimpleAggregateFunction(max, Nullable(UInt8)) AFTER result_to_applicant_store,
    ADD COLUMN IF NOT EXISTS population_db_used SimpleAggregateFunction(max, Nullable(UInt8)) AFTER vneid_verified
