import type { ClickHouse } from '@dossier/clickhouse';
import { READ_PROGRESS_SQL, WATERMARK_NAME } from '@dossier/kpi';
import { parseUtc } from '@dossier/schemas';

interface ProgressRow {
  name: string;
  watermark: string;
  updated_at: string;
}

export interface ProgressSnapshot {
  /** Ingestion-time watermark of the last successful cycle (ms since epoch). */
  watermarkMs?: number;
  /** When the last cycle succeeded (ms), and when each KPI last succeeded (cycle or backfill). */
  cycleSucceededMs?: number;
  kpiSucceededMs: Map<string, number>;
}

/**
 * Progress as every instance sees it: read from kpi_watermarks_v1 (shared), not from this process's
 * own runs, so an instance whose peers took the scheduled jobs is still ready.
 */
export function createProgress(clickhouse: ClickHouse) {
  let snapshot: ProgressSnapshot = { kpiSucceededMs: new Map() };
  return {
    current: (): ProgressSnapshot => snapshot,
    async refresh(): Promise<ProgressSnapshot> {
      const result = await clickhouse.query({ query: READ_PROGRESS_SQL, format: 'JSONEachRow' });
      const rows = await result.json<ProgressRow>();
      const next: ProgressSnapshot = { kpiSucceededMs: new Map() };
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
export type Progress = ReturnType<typeof createProgress>;

/** Ready while the last successful cycle is recent; before any, during a start-up grace of the same length. */
export function isFresh(snapshot: ProgressSnapshot, maxAgeMs: number, startedMs: number, nowMs: number) {
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
