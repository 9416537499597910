import { describe, expect, it } from 'vitest';
import { KPI_CATALOG } from '../src/catalog.ts';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from '../src/sql/counters.sql.ts';
import { index766InputsSql } from '../src/sql/inputs-fingerprint.sql.ts';

describe("the Decision 766 inputs' fingerprint", () => {
  const layout = dossierCellLayout();
  const text = index766InputsSql('{periods}', layout);
  const reads = (column: string) => new RegExp(`\\b${column}\\b`).test(text);

  it('hashes every cell counter the index reads', () => {
    for (const key of [
      ...INDEX766_COUNTERS.map((c) => c.key),
      '_rows',
      ...PROCEDURE_COUNTERS.map((c) => c.key),
    ]) {
      expect(reads(layout.at(key)), key).toBe(true);
    }
  });

  it("leaves out the dossier KPIs' counters, which the index does not read: their changes alone rerun nothing", () => {
    const dossierKeys = KPI_CATALOG.filter((k) => k.source === 'dossier').flatMap((k) => [
      `${k.id}:n`,
      `${k.id}:d`,
    ]);
    expect(dossierKeys.length).toBeGreaterThan(0);
    for (const key of dossierKeys) expect(reads(layout.at(key)), key).toBe(false);
  });
});
