-- What a generation computed values for (its period kinds, scope kinds and day horizon, as the engine
-- writes them): a cycle with nothing new to count or judge commits without recomputing only when the
-- previous generation computed the same. Older generations get '', which no engine writes: their next
-- cycle recomputes as before.
ALTER TABLE kpi_cycles_v1 ADD COLUMN IF NOT EXISTS computed String DEFAULT '' AFTER layout
