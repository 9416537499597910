import { createHash } from 'node:crypto';
import { BUILD_AT_RISK_OPEN_SQL } from './at-risk/at-risk.sql.ts';
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
 * What the cells were computed with: counters, formulas, participation rules, facts and the at-risk
 * list's rows. Cells built by another version of any of them are rebuilt by the next cycle (the
 * fingerprint is stored with every generation), which also refills the at-risk list.
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
          BUILD_AT_RISK_OPEN_SQL,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
  }
  return fingerprint;
}
