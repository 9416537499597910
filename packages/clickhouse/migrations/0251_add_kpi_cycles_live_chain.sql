-- Where a committed generation's live cells are (kpi_stage_cells_v1): the 'live' rows of `live_base` plus
-- the 'crossed' rows of every run in `live_links`. A cycle whose live cells are the previous generation's
-- plus its own crossed cells (kpi-cycle.ts) no longer copies every live cell under its own id: it names the
-- previous chain and adds itself to it; every reader sums the chain's rows per cell. '' (every older row,
-- and every generation that wrote its live cells whole): the 'live' rows of `live_id`, no link.
ALTER TABLE kpi_cycles_v1
    ADD COLUMN IF NOT EXISTS live_base String DEFAULT '' AFTER live_id,
    ADD COLUMN IF NOT EXISTS live_links Array(String) DEFAULT [] AFTER live_base
