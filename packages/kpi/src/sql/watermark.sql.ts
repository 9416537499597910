export const WATERMARK_NAME = 'ingested';
/** The instant the last cycle judged open dossiers at (its `now`), for observers; cycles read kpi_cycles_v1. */
export const JUDGED_NAME = 'judged';

/** When every KPI (and the ingestion watermark) last succeeded, across all aggregator instances. */
export const READ_WATERMARKS_SQL = `
SELECT name, toString(watermark) AS watermark, toString(updated_at) AS updated_at
FROM kpi_watermarks_v1 FINAL`;

export const WATERMARK_TABLE = 'kpi_watermarks_v1';
