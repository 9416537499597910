import type { PeriodKind } from '../periods.ts';
import {
  BEFORE,
  CELL_KEY_COLUMNS,
  type CellLayout,
  CHANGED,
  cellsSql,
  clipFromSql,
  FACT_COLUMNS,
  NOW,
  periodOfSql,
  STAGED,
} from './cells.sql.ts';
import { MONTHS, type MonthsKind } from './run-periods.sql.ts';

// The settled cells of a cycle's months, quarters and years in one statement, with the changed dossiers'
// cells of every kind (parameters as in generation.sql.ts: {run_id}, {now}, {judged_before}).

/**
 * A participation source (see participationSql) of several kinds at once, read once: every row of `from`
 * once per kind of `kinds`, as that kind's row (columns `period_kind` and `step`, its length in months)
 * taking part in no period before its `clipFrom`, and only where its `where` holds (default: always).
 */
function monthsFactsSourceSql(
  from: string,
  sign: 1 | -1,
  kinds: readonly { kind: PeriodKind; clipFrom: string; where?: string }[],
): string {
  const each = kinds
    .map((k) => `('${k.kind}', toUInt8(${MONTHS[k.kind]}), ${k.clipFrom}, ifNull(${k.where ?? '1'}, 0) != 0)`)
    .join(', ');
  return `SELECT ${FACT_COLUMNS}, sign, kc.1 AS period_kind, kc.2 AS step, kc.3 AS clip_from
    FROM (SELECT ${FACT_COLUMNS}, toInt8(${sign}) AS sign FROM ${from})
    ARRAY JOIN [${each}] AS kc
    WHERE kc.4`;
}

/**
 * stageCycleDeltaSql of several kinds in one statement: the open facts (and changed dossiers' facts) are
 * read and filtered once, each row taken once per kind, and all kinds grouped in one pass. `parts.settle`
 * lists the month, quarter and year kinds of `kinds` whose settled rows are staged (the year rollover
 * settles all three at once); with `parts.changed`, the changed dossiers' rows of every kind of `kinds`:
 * an incremental cycle's four kinds in one statement, not four. A day is settled on its own, in stretches
 * (stageCycleDeltaSql); its changed dossiers' rows are the same counted one day at a time.
 */
export function stageMonthsCycleDeltaSql(
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  parts: { settle: readonly MonthsKind[]; changed: boolean },
): string {
  const sources: string[] = [];
  const settled = parts.settle.filter((kind) => kinds.includes(kind));
  if (settled.length > 0) {
    const crossed = (kind: MonthsKind) => `${periodOfSql(kind, BEFORE)} != ${periodOfSql(kind, NOW)}`;
    const moved = `finished_at >= ${BEFORE} OR start_at > ${BEFORE}`;
    const due = `${settled.map(crossed).join(' OR ')} OR ${moved}`;
    sources.push(
      monthsFactsSourceSql(
        `kpi_open_facts_v1 FINAL WHERE ${due}`,
        1,
        settled.map((kind) => ({
          kind,
          clipFrom: periodOfSql(kind, BEFORE),
          where: `(${crossed(kind)} OR ${moved})`,
        })),
      ),
    );
  }
  if (parts.changed) {
    const old = `kpi_dossier_facts_v1 FINAL WHERE dossier_code IN (${CHANGED})`;
    const each = kinds.map((kind) => ({ kind, clipFrom: clipFromSql(kind) }));
    sources.push(monthsFactsSourceSql(old, -1, each));
    sources.push(monthsFactsSourceSql(STAGED('new'), 1, each));
  }
  if (sources.length === 0) throw new Error('a cycle delta needs something to settle or a changed dossier');
  return `
INSERT INTO kpi_stage_cells_v1 (run_id, role, ${CELL_KEY_COLUMNS}, ${layout.columns.join(', ')})
SELECT {run_id:String}, 'delta', * FROM (${cellsSql('months', layout, sources.join('\n    UNION ALL\n    '), 'NOT live')})`;
}
