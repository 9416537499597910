-- Facts the Decision 766 index reads (../shared/INDEX766.md), carried by both dialects: the submitted
-- documents counted per flag (so "at least one" and "every" stay readable), HoSoCoThanhPhanSoHoa on its
-- own, an electronic result (result code and file link), a result pushed to the applicant's data store,
-- a VNeID-verified account and data taken from the population database. Older rows read NULL: unknown.
ALTER TABLE dossier_events_v1
    ADD COLUMN IF NOT EXISTS docs_total Nullable(UInt16) AFTER result_digitized,
    ADD COLUMN IF NOT EXISTS docs_with_file Nullable(UInt16) AFTER docs_total,
    ADD COLUMN IF NOT EXISTS docs_digitized Nullable(UInt16) AFTER docs_with_file,
    ADD COLUMN IF NOT EXISTS docs_reused Nullable(UInt16) AFTER docs_digitized,
    ADD COLUMN IF NOT EXISTS docs_from_national_store Nullable(UInt16) AFTER docs_reused,
    ADD COLUMN IF NOT EXISTS has_digitized_component Nullable(UInt8) AFTER docs_from_national_store,
    ADD COLUMN IF NOT EXISTS result_code_and_file Nullable(UInt8) AFTER has_digitized_component,
    ADD COLUMN IF NOT EXISTS result_to_applicant_store Nullable(UInt8) AFTER result_code_and_file,
    ADD COLUMN IF NOT EXISTS vneid_verified Nullable(UInt8) AFTER result_to_applicant_store,
    ADD COLUMN IF NOT EXISTS population_db_used Nullable(UInt8) AFTER vneid_verified
