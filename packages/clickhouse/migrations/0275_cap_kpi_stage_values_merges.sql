-- As 0274 for the staged values: a large staging (a catch-up's or rollover's values) is not merged.
ALTER TABLE kpi_stage_values_v1 MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 4194304
