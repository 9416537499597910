// The Decision 766 statement's dossier source (dossierSource) over a live chain with links: the base's
// rows plus crossed rows that may be negative alone. A procedure is in a unit's set when its rows, summed
// over every cell of the unit and procedure, count a dossier; a unit whose live cells all cancel out adds
// no row to its scopes, as one never staged. The counters are summed per unit.
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { UNITS_WITH } from '../src/index766/units.ts';
import { dossierSource } from '../src/sql/index766-sources.sql.ts';
import { INDEX766_PURPOSES } from '../src/sql/index766-values.sql.ts';
import { runPeriodPairsSql } from '../src/sql/run-periods.sql.ts';
import { agency } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;

const layout = dossierCellLayout();

/** A staged cell row of January: its counters by key (cells.sql.ts cellLayout), every other one 0. */
function cell(
  run: string,
  role: 'live' | 'crossed',
  agencyCode: string,
  procedure: string,
  field: string,
  counts: Record<string, number>,
): Record<string, unknown> {
  return {
    run_id: run,
    role,
    period_kind: 'month',
    period_start: '2026-01-01',
    admin_level: 'commune',
    agency_code: agencyCode,
    field_code: field,
    procedure_code: procedure,
    ...Object.fromEntries(layout.columns.map((c) => [c, 0])),
    ...Object.fromEntries(Object.entries(counts).map(([key, n]) => [layout.at(key), n])),
  };
}

const ROWS = '_rows';
const FEE = 'procedure:fee_data';
const PAID = 'procedure:paid_online';
const POPULATION = 'index766:population';

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('U1', 'commune'), agency('U2', 'commune')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'kpi_run_periods_v1',
    values: [{ run_id: 'RUN', period_kind: 'month', period_start: '2026-01-01', purpose: 'touched' }],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'kpi_stage_cells_v1',
    values: [
      // The base: one dossier at U1 (P1), two at U2 (P2 paid online, P3), each with a non-zero fee.
      cell('BASE', 'live', 'U1', 'P1', 'F1', { [ROWS]: 1, [FEE]: 1, [POPULATION]: 1 }),
      cell('BASE', 'live', 'U2', 'P2', 'F1', { [ROWS]: 1, [FEE]: 1, [PAID]: 1, [POPULATION]: 1 }),
      cell('BASE', 'live', 'U2', 'P3', 'F2', { [ROWS]: 1, [FEE]: 1 }),
      // The links: U1's dossier leaves (its cell cancels out); P2's loses its fee data; P3's fee data
      // moves to another cell of the same procedure (field F3), with one more dossier.
      cell('LINK-1', 'crossed', 'U1', 'P1', 'F1', { [ROWS]: -1, [FEE]: -1, [POPULATION]: -1 }),
      cell('LINK-1', 'crossed', 'U2', 'P2', 'F1', { [FEE]: -1 }),
      cell('LINK-2', 'crossed', 'U2', 'P3', 'F2', { [FEE]: -1 }),
      cell('LINK-2', 'crossed', 'U2', 'P3', 'F3', { [ROWS]: 1, [FEE]: 1 }),
    ],
    format: 'JSONEachRow',
  });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

describe('the Decision 766 dossier source over a linked live chain', () => {
  it(
    'sums each procedure over its cells, and a unit whose cells cancel out adds no scope',
    async () => {
      const periods = runPeriodPairsSql(['month'], INDEX766_PURPOSES);
      const result = await clickhouse.query({
        query: `WITH ${UNITS_WITH}
          SELECT concat(scope_kind, ':', scope_code) AS scope, toString(dossier_rows) AS dossier_rows,
            toString(population) AS population, arraySort(fee_data_procs) AS fee_data_procs,
            arraySort(paid_procs) AS paid_procs
          FROM (${dossierSource(layout, periods, true)})
          ORDER BY scope`,
        query_params: {
          run_id: 'RUN',
          day_floor: '2026-01-01',
          live_base: 'BASE',
          live_links: ['LINK-1', 'LINK-2'],
        },
        format: 'JSONEachRow',
      });
      const scopes = { dossier_rows: '3', population: '1', fee_data_procs: ['P3'], paid_procs: ['P2'] };
      expect(await result.json()).toEqual([
        { scope: 'agency:U2', ...scopes },
        { scope: 'city:', ...scopes },
      ]);
    },
    SLOW,
  );
});
