// The Decision 766 statement's per-unit procedure sets (dossierSource) take a procedure when one of the
// unit's rows counts it, with no sum per (unit, procedure): kpi_scope_procedures_v1 is read FINAL so that a
// settled count and the delta cancelling it, still in two parts, are one row of 0. Here a January dossier
// moves from a fee-bearing procedure to another after the rebuild, with merges stopped: the unit's payment
// B (fee-bearing procedures with fee data) must fall to 0, as a rebuild computes it. The agency chains the
// sets roll up along (units.ts, followed by position since) stay unitTree's: ends at a missing or repeated
// parent included.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import {
  chainOfSql,
  PERIOD_KINDS,
  runKpiCycle,
  SCOPE_KINDS,
  UNIT_PARENTS_SQL,
  type UnitParent,
  unitTree,
  verifyKpiState,
} from '../src/index.ts';
import { agency, dossierEvent, dossierEvents, procedure } from './kpi-fixtures.ts';

const SLOW = 600_000;

let test: TestClickHouse;
let clickhouse: ClickHouse;

const cycle = (now: string) =>
  runKpiCycle(clickhouse, {
    runId: randomUUID(),
    periodKinds: PERIOD_KINDS,
    scopeKinds: SCOPE_KINDS,
    now: `2026-03-10 ${now}:00.000`,
    graceMs: 0,
  });

async function json<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** January's payment B per scope, as `kind:code numerator/denominator`. */
async function januaryPaymentB(): Promise<string[]> {
  const rows = await json<{ v: string }>(
    `SELECT concat(toString(scope_kind), ':', scope_code, ' ', toString(numerator), '/', toString(denominator)) AS v
    FROM kpi_latest WHERE kpi = 'index766.online_payment.procedures_with_fee' AND period_kind = 'month'
      AND period_start = '2026-01-01' ORDER BY v`,
  );
  return rows.map((r) => r.v);
}

beforeAll(async () => {
  test = await createTestClickHouse();
  clickhouse = test.clickhouse;
  await clickhouse.insert({
    table: 'agencies_v1',
    values: [agency('UNIT', 'province')],
    format: 'JSONEachRow',
  });
  await clickhouse.insert({
    table: 'procedures_v1',
    values: [
      procedure('P-FEE', { agency_code: 'UNIT', fee_bearing: 1 }),
      procedure('P-FREE', { agency_code: 'UNIT' }),
    ],
    format: 'JSONEachRow',
  });
  const dossier = dossierEvents({
    code: 'D-1',
    agency: 'UNIT',
    procedure: 'P-FEE',
    received: '2026-01-05 01:00',
    due: '2026-01-05 09:00',
    fee: 50_000,
    finished: { at: '2026-01-05 03:00', kind: 'resolved' },
  });
  await clickhouse.insert({ table: 'dossier_events_v1', values: dossier, format: 'JSONEachRow' });
}, SLOW);

afterAll(async () => {
  await clickhouse?.command({ query: 'SYSTEM START MERGES kpi_scope_procedures_v1' }).catch(() => {});
  await test?.close();
});

describe('the Decision 766 per-unit procedure sets', () => {
  it(
    'drop a procedure whose count a later delta cancels while both rows are unmerged',
    async () => {
      expect((await cycle('02:00')).mode).toBe('rebuild');
      expect(await januaryPaymentB()).toEqual(['agency:UNIT 1/1', 'city: 1/1']);

      // The dossier's procedure is corrected: January's (UNIT, P-FEE) row gets a -1 beside the rebuild's +1.
      await clickhouse.command({ query: 'SYSTEM STOP MERGES kpi_scope_procedures_v1' });
      await clickhouse.insert({
        table: 'dossier_events_v1',
        values: [
          dossierEvent('D-1', 'processing', '2026-03-10 01:00', {
            agency_code: 'UNIT',
            procedure_code: 'P-FREE',
          }),
        ],
        format: 'JSONEachRow',
      });
      expect(await cycle('02:30')).toMatchObject({ mode: 'cycle', dossiersRefreshed: 1 });
      const [parts] = await json<{ rows: string }>(
        `SELECT toString(count()) AS rows FROM kpi_scope_procedures_v1
        WHERE period_kind = 'month' AND period_start = '2026-01-01' AND scope_kind = 'agency'
          AND scope_code = 'UNIT' AND procedure_code = 'P-FEE'`,
      );
      expect(Number(parts?.rows)).toBeGreaterThanOrEqual(2);

      expect(await januaryPaymentB()).toEqual(['agency:UNIT 0/1', 'city: 0/1']);
      expect(await verifyKpiState(clickhouse)).toMatchObject({ exact: true });
    },
    SLOW,
  );

  it(
    "follow each agency's parents as unitTree does",
    async () => {
      await clickhouse.insert({
        table: 'agencies_v1',
        values: [
          agency('CITY', 'province'),
          agency('D1', 'district', { parent_code: 'CITY' }),
          agency('W1', 'commune', { parent_code: 'D1' }),
          agency('X', 'commune', { parent_code: 'GONE' }),
          agency('LOOP-A', 'district', { parent_code: 'LOOP-B' }),
          agency('LOOP-B', 'district', { parent_code: 'LOOP-A' }),
          agency('SELF', 'district', { parent_code: 'SELF' }),
        ],
        format: 'JSONEachRow',
      });
      const tree = unitTree(await json<UnitParent>(UNIT_PARENTS_SQL));
      const codes = ['UNIT', 'CITY', 'D1', 'W1', 'X', 'LOOP-A', 'LOOP-B', 'SELF', 'NOT-IN-CATALOG'];
      const rows = await json<{ code: string; chain: string[] }>(
        `SELECT code, ${chainOfSql('code')} AS chain FROM (SELECT arrayJoin(['${codes.join("', '")}']) AS code)`,
      );
      expect(Object.fromEntries(rows.map((r) => [r.code, r.chain]))).toEqual(
        Object.fromEntries(codes.map((c) => [c, tree.chainOf(c)])),
      );
      expect(tree.chainOf('W1')).toEqual(['W1', 'D1', 'CITY']);
    },
    SLOW,
  );
});
