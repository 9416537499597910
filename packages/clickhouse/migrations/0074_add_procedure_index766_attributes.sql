-- Catalog attributes the Decision 766 index reads: whether a procedure must return a paper result, whom it
-- serves, and the units it is applied at with the status of its online service there (parallel arrays;
-- empty: applied at its agency, or at every unit of its commune/district levels). Older rows: no paper
-- result, both subjects, no explicit units.
ALTER TABLE procedures_v1
    ADD COLUMN IF NOT EXISTS paper_result_required UInt8 DEFAULT 0 AFTER max_processing_working_days,
    ADD COLUMN IF NOT EXISTS serves Array(LowCardinality(String)) DEFAULT ['citizen', 'organization'] AFTER paper_result_required,
    ADD COLUMN IF NOT EXISTS applied_units Array(String) AFTER serves,
    ADD COLUMN IF NOT EXISTS unit_service_status Array(LowCardinality(String)) AFTER applied_units
