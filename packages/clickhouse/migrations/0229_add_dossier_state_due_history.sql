-- Every appointment a dossier was given, each with the earliest instant it is known in force: a map
-- merged by min, so order- and duplicate-insensitive like the other state columns, and one entry per
-- appointment however many snapshots repeat it. An appointment known only as "the one before"
-- (NgayHenTraTruoc) is in force from the epoch, i.e. before every other.
ALTER TABLE dossier_state_v1
    ADD COLUMN IF NOT EXISTS due_history SimpleAggregateFunction(minMap, Tuple(Array(DateTime64(3, 'UTC')), Array(DateTime64(3, 'UTC')))) AFTER due_at
