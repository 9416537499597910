-- The markers (scope_kind '') of kpi_index766_scope_inputs_v1 (0243, 0247) list in `ancestors` the chain
-- below their tag, nearest first: the parent, its parent, … down to the tag holding every scope ([] for
-- that one). A cycle then reads the markers of the previous live id's chain by key (the table is ordered by
-- tag) instead of every marker of the last 4 hours. Markers written before list none: a chain through
-- them is broken and the next cycle reads the inputs anew, once.
ALTER TABLE kpi_index766_scope_inputs_v1 ADD COLUMN IF NOT EXISTS ancestors Array(String) DEFAULT [] AFTER parent
