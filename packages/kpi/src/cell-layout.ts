import { createHash } from 'node:crypto';
import { KPI_CATALOG } from './catalog.ts';
import { PERIOD_KINDS } from './periods.ts';
import { type CellLayout, cellLayout, participationSql } from './sql/cells.sql.ts';
import { FACTS_FORMULA_SQL } from './sql/facts.sql.ts';

// Computed on first use, not at import: a catalog that no longer fits the cell columns fails the first
// KPI run with its message instead of every process that merely imports the package.

let layout: CellLayout | undefined;
let fingerprint: string | undefined;

/** Every dossier KPI of the catalog: cells always carry all of them, whatever a run recomputes. */
export function dossierCellLayout(): CellLayout {
  layout ??= cellLayout(KPI_CATALOG.filter((k) => k.source === 'dossier'));
  return layout;
}

/**
 * The at-risk list's rows as the fingerprint knows them: BUILD_AT_RISK_OPEN_SQL's text of af147ab (#19),
 * the last change that asked for a rebuild. Its one change since, the real supplement receipts in
 * dossiers_at_risk_open_v2, is carried to existing databases by migrations 0224-0227, so it asks for
 * none: a rebuild at city scale recomputes every cell for nothing. A later change of the rows that no
 * migration carries replaces this text with BUILD_AT_RISK_OPEN_SQL (at-risk.sql.ts), as before.
 */
const AT_RISK_ROWS = `
INSERT INTO dossiers_at_risk_open_v1 (dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
  due_at, due_day, supplement_requested_at, supplement_received_at, sign)
SELECT dossier_code, agency_code, procedure_code, field_code, channel, received_at, finished_at,
  coalesce(due_at, deadline_no_due) AS due_at,
  ifNull(toDate(toTimeZone(coalesce(due_at, deadline_no_due), 'Asia/Ho_Chi_Minh')), toDate('2149-06-06')) AS due_day,
  supplement_requested_at, if(length(supplement_requested_at) = 1 AND length(supplement_received_at) >= 1,
    arrayConcat([least(supplement_received_at[1], supplement_requested_at[1])], arraySlice(supplement_received_at, 2)),
    supplement_received_at) AS supplement_received_at, toInt8(1) AS sign
FROM kpi_open_facts_v1 FINAL
WHERE sign = 1 AND received_at IS NOT NULL AND finish_kind != 'rejected'`;

/**
 * What the cells were computed with: counters, formulas, participation rules, facts and the at-risk
 * list's rows (AT_RISK_ROWS). Cells built by another version of any of them are rebuilt by the next cycle
 * (the fingerprint is stored with every generation), which also refills the at-risk list.
 */
export function cellLayoutFingerprint(): string {
  if (fingerprint === undefined) {
    const { keys, aggregates } = dossierCellLayout();
    fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          keys,
          aggregates,
          PERIOD_KINDS.map((k) => participationSql(k, '')),
          FACTS_FORMULA_SQL,
          AT_RISK_ROWS,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
  }
  return fingerprint;
}
