-- When a row's appointment (due_at) came into force and the one it replaced, when the input says: a
-- supplement's receipt re-issues the appointment (DVCQG NgayHenTraMoi, NgayHenTraTruoc; a canonical
-- supplement event's due_at). A past instant is judged against the appointment in force then. Older rows
-- read NULL: their appointment is taken as in force from the row's own instant.
ALTER TABLE dossier_events_v1
    ADD COLUMN IF NOT EXISTS due_since_at Nullable(DateTime64(3, 'UTC')) AFTER due_at,
    ADD COLUMN IF NOT EXISTS due_before_at Nullable(DateTime64(3, 'UTC')) AFTER due_since_at
