-- A generation's Decision 766 inputs (kpi_index766_scope_inputs_v1, 0243) no longer repeat every scope:
-- a cycle adding its deltas to the previous generation's writes only the scopes that moved, and its
-- marker row (scope_kind '') names in `parent` the tag it stands on; a scope's inputs are then its row
-- under the nearest tag of that chain. '' (every older row): the tag holds every scope of the period.
ALTER TABLE kpi_index766_scope_inputs_v1 ADD COLUMN IF NOT EXISTS parent String DEFAULT '' AFTER code
