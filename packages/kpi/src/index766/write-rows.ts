import { Readable } from 'node:stream';
import type { Statements } from '../statements.ts';
import { tsvField, type ValueRow } from './value-rows.ts';

// The Decision 766 values the running path knows to have changed (value-rows.ts changedValueRows `known`),
// written to kpi_values_v1 straight from the client: no stage, no comparison with kpi_current_v1 FINAL.

/** kpi_values_v1's columns, as write-values.sql.ts writeChangedValuesSql writes them. */
const WRITE_COLUMNS = [
  'kpi',
  'scope_kind',
  'scope_code',
  'period_kind',
  'period_start',
  'numerator',
  'denominator',
  'value',
  'target',
  'target_met',
  'score',
  'max_score',
  'reason',
  'computed_at',
  'run_id',
] as const;

/**
 * `rows` as kpi_values_v1's rows of a KPI with no target rule whose score, maximum and reason are stated
 * (the Decision 766 index: writeChangedValuesSql's {stated_score_kpis}), as TabSeparated text. The value
 * is numerator / denominator as the statement divides them (both whole numbers below 2^53, so the double
 * is the same), or NULL for a zero denominator; every number is written as JSON writes it (the shortest
 * text that reads back as the same double, under precise float parsing).
 */
export function valueWritesTsv(rows: readonly ValueRow[], computedAt: string, runId: string): string {
  const at = tsvField(computedAt);
  const run = tsvField(runId);
  let text = '';
  for (const r of rows) {
    const value = r.denominator === 0 ? null : r.numerator / r.denominator;
    const fields = [
      r.kpi,
      r.scope_kind,
      r.scope_code,
      r.period_kind,
      r.period_start,
      r.numerator,
      r.denominator,
      value,
      null,
      null,
      r.score_override,
      r.max_score_override,
      r.reason,
    ];
    text += `${fields.map(tsvField).join('\t')}\t${at}\t${run}\n`;
  }
  return text;
}

/**
 * Writes `rows` to kpi_values_v1 as they are (see valueWritesTsv), under the run's {computed_at} and
 * {run_id}. `precise_float_parsing`: a server whose default reads doubles the fast way could read a
 * value one unit in the last place off the division the statement makes.
 */
export async function writeValueRows(
  sql: Statements,
  rows: readonly ValueRow[],
  computedAt: string,
  runId: string,
): Promise<void> {
  if (rows.length === 0) return;
  const began = performance.now();
  await sql.clickhouse.insert({
    table: 'kpi_values_v1',
    values: Readable.from([valueWritesTsv(rows, computedAt, runId)], { objectMode: false }),
    columns: [...WRITE_COLUMNS],
    format: 'TabSeparated',
    clickhouse_settings: { precise_float_parsing: 1 },
  });
  sql.trace?.('index766 running: write changed values', performance.now() - began);
}
