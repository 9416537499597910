-- Databases created with the first text of 0024 have no `layout` in kpi_cycles_v1 and cells in the first
-- layout (a `counts` map, 0020 as first written). Their cells cannot be finished or kept: a generation
-- claimed but not committed is marked abandoned, so that the next KPI run rebuilds every cell instead of
-- applying staged rows of the old layout (0029 then gives every old generation an empty layout, which
-- differs from the engine's fingerprint: a rebuild as well). Does nothing on any other database.
-- migrate:only-if SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'kpi_cycles_v1' AND name = 'layout'
INSERT INTO kpi_cycles_v1 (gen, run_id, kind, state, judged_at, window_to, day_floor)
SELECT gen, run_id, kind, 'abandoned', judged_at, window_to, day_floor
FROM kpi_cycles_v1
WHERE state = 'staged'
  AND gen > (SELECT max(gen) FROM kpi_cycles_v1 WHERE state = 'committed')
