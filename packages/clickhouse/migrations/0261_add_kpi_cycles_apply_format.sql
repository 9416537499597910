-- How the claiming code cuts a generation's applies into insert blocks (APPLY_FORMAT in the kpi
-- package), on its claim ('staged') row: a re-run is deduplicated block by block under the generation's
-- token, so a generation applied in part by code that cut other blocks must not be finished by this
-- code. Older claims get '', which no code writes: a pending one is abandoned and the next run rebuilds.
ALTER TABLE kpi_cycles_v1 ADD COLUMN IF NOT EXISTS apply_format String DEFAULT '' AFTER live_links
