import type { ClickHouse } from '@dossier/clickhouse';
import { KPI_CATALOG } from '../src/catalog.ts';
import { MISSING_REASON } from '../src/index766/components.ts';
import { type ScorecardInputs, scorecard } from '../src/index766/score.ts';

/** A Decision 766 row of kpi_latest as the tests compare it. */
export interface IndexRow {
  kpi: string;
  numerator: number;
  denominator: number;
  score: number | null;
  max_score: number | null;
  reason: string;
}

const IDS = KPI_CATALOG.filter((k) => k.source === 'index766').map((k) => k.id);

/** The Decision 766 rows of one scope (`city` or `agency:<code>`) and period, in catalog order. */
export async function readIndexRows(
  clickhouse: ClickHouse,
  scope: string,
  periodKind: string,
  periodStart: string,
): Promise<IndexRow[]> {
  const [kind, code = ''] = scope.split(':');
  const result = await clickhouse.query({
    query: `SELECT kpi, numerator, denominator, score, max_score, reason FROM kpi_latest
      WHERE kpi LIKE 'index766%' AND scope_kind = {kind:String} AND scope_code = {code:String}
        AND period_kind = {period_kind:String} AND period_start = {period_start:Date}`,
    query_params: { kind, code, period_kind: periodKind, period_start: periodStart },
    format: 'JSONEachRow',
  });
  const rows = await result.json<IndexRow & { numerator: string; denominator: string }>();
  return rows
    .map((r) => ({ ...r, numerator: Number(r.numerator), denominator: Number(r.denominator) }))
    .sort((a, b) => IDS.indexOf(a.kpi) - IDS.indexOf(b.kpi));
}

/**
 * The rows the reference scoring (score.ts) gives for counted inputs, with the engine's reasons: a
 * component without figures says `no_external_figures`, as score.ts notes it; groups and totals are scored, so their reason is
 * empty (their max_score tells which points have data).
 */
export function expectedRows(inputs: ScorecardInputs): IndexRow[] {
  return scorecard(inputs)
    .map((r) => ({
      kpi: r.kpi,
      numerator: r.numerator,
      denominator: r.denominator,
      score: r.score,
      max_score: r.maxScore,
      reason: r.note.startsWith(`${MISSING_REASON.external}:`) ? '' : r.note,
    }))
    .sort((a, b) => IDS.indexOf(a.kpi) - IDS.indexOf(b.kpi));
}
