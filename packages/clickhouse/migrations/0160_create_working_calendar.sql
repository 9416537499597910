-- Viet Nam's working calendar as data: the weekdays off (kind 'holiday') and the weekend days worked in
-- exchange (kind 'working_day') that the Government announces each year, plus one row of kind 'year' per
-- year a load covers (date = 1 January), so a year loaded is told apart from a year never loaded. A load
-- (CLI `npm run calendar:load`, the monitor's POST /api/working-calendar; the shipped calendar by
-- migration 0162) is one INSERT of one block, so it is stored whole or not at all, and it replaces the
-- calendar of every year it covers: working_calendar_latest_v1 keeps, per year, the rows of its latest
-- load. Working days are counted in city time (Asia/Ho_Chi_Minh); packages/kpi/src/working-days/.
CREATE TABLE IF NOT EXISTS working_calendar_v1
(
    year UInt16,
    date Date,
    kind LowCardinality(String),
    name String,
    source String,
    load_id String,
    loaded_at DateTime64(3, 'UTC'),
    csv_line UInt32
)
ENGINE = MergeTree
ORDER BY (year, load_id, date, kind)
