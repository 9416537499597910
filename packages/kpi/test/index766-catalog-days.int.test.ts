// The Decision 766 statement groups the catalog once for the run's period-end days whose catalog is the
// same (catalogSource). Whatever periods a run holds, each period's catalog sets must be those of a run
// holding that period alone (whose one day is grouped by itself), here with a catalog whose rows start and
// end between the period ends: one end only (P-2's valid_to, no row starting), one start only (P-3).
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { UNITS_WITH } from '../src/index766/units.ts';
import { catalogSource } from '../src/sql/index766-sources.sql.ts';
import { agency, procedure } from './kpi-fixtures.ts';

const SLOW = 300_000;
const NOW = '2026-05-10 03:00:00.000';

/** Month and year periods; the months end on 12-31, 01-31, 02-28, 03-31 and 04-30, the year today. */
const PERIODS: [kind: 'month' | 'year', start: string][] = [
  ['month', '2025-12-01'],
  ['month', '2026-01-01'],
  ['month', '2026-02-01'],
  ['month', '2026-03-01'],
  ['month', '2026-04-01'],
  ['year', '2026-01-01'],
];

let test: TestClickHouse;
let clickhouse: ClickHouse;

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('PROV', 'province'), agency('DIST', 'district'), agency('COMM', 'commune')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-1', { agency_code: 'PROV', online_class: 'full', fee_bearing: 1 }),
      // Applied from 2026-01-10 until 2026-02-15: between the ends of January and February only its end.
      procedure('P-2', {
        agency_code: 'DIST',
        online_class: 'partial',
        admin_levels: ['district', 'commune'],
        valid_from: '2026-01-10',
        valid_to: '2026-02-15',
      }),
      // From 2026-03-10 on: between the ends of February and March only its start.
      procedure('P-3', { agency_code: 'COMM', admin_levels: ['commune'], valid_from: '2026-03-10' }),
    ],
    format: 'JSONEachRow',
  });
  const runs = [['all', PERIODS] as const, ...PERIODS.map((p, i) => [`one-${i}`, [p]] as const)];
  await clickhouse.insert({
    table: 'kpi_run_periods_v1',
    values: runs.flatMap(([run, periods]) =>
      periods.map(([kind, start]) => ({
        run_id: run,
        period_kind: kind,
        period_start: start,
        purpose: 'all',
      })),
    ),
    format: 'JSONEachRow',
  });
}, SLOW);

afterAll(async () => {
  await test?.close();
});

interface CatalogRow {
  period_kind: string;
  period_start: string;
  scope_kind: string;
  scope_code: string;
  sets: string[][];
}

async function catalogOf(run: string): Promise<CatalogRow[]> {
  const result = await clickhouse.query({
    query: `WITH ${UNITS_WITH}
      SELECT period_kind, period_start, scope_kind, scope_code,
        [arraySort(procs), arraySort(online_procs), arraySort(services), arraySort(fee_procs),
          arraySort(citizen_procs)] AS sets
      FROM (${catalogSource(['month', 'year'], ['all'])})
      ORDER BY period_kind, period_start, scope_kind, scope_code`,
    query_params: { run_id: run, now: NOW, day_floor: '2020-01-01' },
    format: 'JSONEachRow',
  });
  return result.json<CatalogRow>();
}

describe("the Decision 766 catalog's sets", () => {
  it(
    'are, for each period of a run, those of a run holding that period alone',
    async () => {
      const together = await catalogOf('all');
      const alone = (await Promise.all(PERIODS.map((_, i) => catalogOf(`one-${i}`)))).flat();
      const key = (r: CatalogRow) => `${r.period_kind} ${r.period_start} ${r.scope_kind} ${r.scope_code}`;
      const sorted = (rows: CatalogRow[]) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(together)).toEqual(sorted(alone));
      // The catalog differs between the period ends it was checked on: P-2 in January only, P-3 from March.
      const city = (start: string, kind = 'month') =>
        together.find((r) => r.period_kind === kind && r.period_start === start && r.scope_kind === 'city')
          ?.sets[0];
      expect(
        ['2025-12-01', '2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'].map((s) => city(s)),
      ).toEqual([['P-1'], ['P-1', 'P-2'], ['P-1'], ['P-1', 'P-3'], ['P-1', 'P-3']]);
      expect(city('2026-01-01', 'year')).toEqual(['P-1', 'P-3']);
    },
    SLOW,
  );
});
