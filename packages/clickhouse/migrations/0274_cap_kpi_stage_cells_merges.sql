-- Scratch: a staged generation is read by its own cycle and dropped with its hour, so merging a large one (a
-- catch-up's weeks of cells, 2.3M rows at 1M dossiers) only takes a core from the cycle. Small parts still merge.
ALTER TABLE kpi_stage_cells_v1 MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 4194304
