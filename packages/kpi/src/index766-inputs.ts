import { createHash } from 'node:crypto';
import type { PeriodKind } from './periods.ts';
import type { CellLayout } from './sql/cells.sql.ts';
import { INDEX766_PURPOSES } from './sql/index766-values.sql.ts';
import { INDEX766_INPUTS_TABLE, index766InputsSql } from './sql/inputs-fingerprint.sql.ts';
import { runPeriodPairsSql } from './sql/run-periods.sql.ts';
import type { StatementParams, Statements } from './statements.ts';

interface InputRow {
  period_kind: string;
  period_start: string;
  /** UInt64 as text: JSON may carry it as a number, which a double cannot hold exactly. */
  fingerprint: string;
  stored: string;
}

/** What the Decision 766 statement of a run's periods reads, fingerprinted, against what was last written. */
export interface Index766Inputs {
  /** Every period's inputs hash as they did when its values were last written in full. */
  unchanged: boolean;
  /** Marks the periods as being rewritten (fingerprint 0), before their values are written. */
  invalidate(): Promise<void>;
  /** Stores the periods' fingerprints, once their values are written. */
  record(): Promise<void>;
}

/**
 * Fingerprints the inputs of the run's Decision 766 periods of `kinds` (sql/inputs-fingerprint.sql.ts);
 * `statementText` (the statement and its write, as they will run) enters the fingerprint, so a changed
 * engine or catalog of KPIs recomputes. Decided from kpi_index766_inputs_v1, which holds a period's
 * fingerprint only once its values are durably written: a run stopped between stage and write is redone.
 */
export async function readIndex766Inputs(
  sql: Statements,
  kinds: readonly PeriodKind[],
  layout: CellLayout,
  params: StatementParams,
  statementText: string,
): Promise<Index766Inputs> {
  const code = createHash('sha256').update(statementText).digest('hex');
  const began = performance.now();
  const rows = await sql.rows<InputRow>(
    index766InputsSql(runPeriodPairsSql(kinds, INDEX766_PURPOSES), layout),
    { ...params, index766_code: code },
  );
  sql.trace?.('kpi_index766_inputs_v1 fingerprint', performance.now() - began);
  const write = async (fingerprint: (row: InputRow) => string) => {
    if (rows.length === 0) return;
    await sql.clickhouse.insert({
      table: INDEX766_INPUTS_TABLE,
      values: rows.map((row) => ({
        period_kind: row.period_kind,
        period_start: row.period_start,
        fingerprint: fingerprint(row),
        run_id: params.live_id ?? '',
      })),
      format: 'JSONEachRow',
    });
  };
  return {
    unchanged: rows.every((row) => row.stored !== '0' && row.stored === row.fingerprint),
    invalidate: () => write(() => '0'),
    record: () => write((row) => row.fingerprint),
  };
}
