// The dossier values' stage and write (sql/cells.sql.ts): the scopes of a period only 'touched' are chosen
// by a flag the run's staged cells bring, not by key sets built from them, and every such scope is staged,
// so that the write compares the staged keys instead of spreading the staged cells again.
import { describe, expect, it } from 'vitest';
import { selectKpis } from '../src/catalog.ts';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { PERIOD_KINDS } from '../src/periods.ts';
import { dossierValuesSql, dossierWriteKeysSql } from '../src/sql/cells.sql.ts';

const count = (text: string, part: string) => text.split(part).length - 1;
const kpis = selectKpis().filter((k) => k.source === 'dossier');

describe('dossierValuesSql', () => {
  it("reads the run's staged cells once, as zero counters flagging the touched scopes", () => {
    const text = dossierValuesSql(PERIOD_KINDS, kpis, dossierCellLayout());
    expect(count(text, "role IN ('delta', 'crossed')")).toBe(1);
    expect(text).not.toContain('SELECT DISTINCT');
    expect(text).toMatch(/toInt64\(0\) AS c\d\d.*1 AS moved/s);
    expect(text).toContain('HAVING max(moved) = 1 OR (period_kind, period_start) IN');
  });
});

describe('dossierWriteKeysSql', () => {
  it("compares every key of a 'dossier' or 'all' period and the keys staged under {values_id}", () => {
    const text = dossierWriteKeysSql(PERIOD_KINDS);
    expect(text).toContain("purpose IN ('dossier', 'all')");
    expect(text).toContain('FROM kpi_stage_values_v1 WHERE values_id = {values_id:String}');
    expect(text).not.toContain('kpi_stage_cells_v1');
  });
});
