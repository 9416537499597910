-- A values query may state a row's maximum score and the reason it has no score (the Decision 766 index:
-- a total's maximum counts only the points that have data), next to its score (score_override).
ALTER TABLE kpi_stage_values_v1
    ADD COLUMN IF NOT EXISTS max_score_override Nullable(Float64) AFTER score_override,
    ADD COLUMN IF NOT EXISTS reason String DEFAULT '' AFTER max_score_override
