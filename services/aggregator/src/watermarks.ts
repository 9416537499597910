import type { ClickHouse } from '@dossier/clickhouse';
import { READ_WATERMARKS_SQL, WATERMARK_NAME } from '@dossier/kpi';
import { parseUtc } from '@dossier/schemas';

interface WatermarkRow {
  name: string;
  watermark: string;
  updated_at: string;
}

export interface WatermarkSnapshot {
  /** Ingestion-time watermark of the last successful cycle (ms since epoch). */
  watermarkMs?: number;
  /** When the last cycle succeeded (ms), and when each KPI last succeeded (cycle or backfill). */
  cycleSucceededMs?: number;
  kpiSucceededMs: Map<string, number>;
}

/**
 * The watermarks as every instance sees them: read from kpi_watermarks_v1 (shared), not from this process's
 * own runs, so an instance whose peers took the scheduled jobs is still ready.
 */
export function createWatermarks(clickhouse: ClickHouse) {
  let snapshot: WatermarkSnapshot = { kpiSucceededMs: new Map() };
  return {
    current: (): WatermarkSnapshot => snapshot,
    async refresh(): Promise<WatermarkSnapshot> {
      const result = await clickhouse.query({ query: READ_WATERMARKS_SQL, format: 'JSONEachRow' });
      const rows = await result.json<WatermarkRow>();
      const next: WatermarkSnapshot = { kpiSucceededMs: new Map() };
      for (const row of rows) {
        if (row.name === WATERMARK_NAME) {
          next.watermarkMs = parseUtc(row.watermark);
          next.cycleSucceededMs = parseUtc(row.updated_at);
        } else if (row.name.startsWith('kpi:')) {
          next.kpiSucceededMs.set(row.name.slice(4), parseUtc(row.updated_at));
        }
      }
      snapshot = next;
      return next;
    },
  };
}
export type Watermarks = ReturnType<typeof createWatermarks>;

/** Ready while the last successful cycle is recent; before any, during a start-up grace of the same length. */
export function isFresh(snapshot: WatermarkSnapshot, maxAgeMs: number, startedMs: number, nowMs: number) {
  const last = snapshot.cycleSucceededMs;
  if (last === undefined) {
    const waited = nowMs - startedMs;
    return waited <= maxAgeMs
      ? { ok: true }
      : { ok: false, detail: `no successful KPI cycle yet after ${Math.round(waited / 1000)} s` };
  }
  const age = nowMs - last;
  return age <= maxAgeMs
    ? { ok: true }
    : { ok: false, detail: `last successful KPI cycle ${Math.round(age / 1000)} s ago` };
}
