import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, MIGRATIONS_DIR, migrate } from '@dossier/clickhouse';
import { type DossierEventRow, formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS, verifyKpiState } from '../src/index.ts';
import { type DossierSpec, dossierEvent, dossierEvents, ts } from './kpi-fixtures.ts';

// A database from before 0228-0235 (the dossier state kept only the latest appointment) brought along by
// them: the appointments of the events already stored are folded into the state's history (0235), so a
// dossier re-issued before the upgrade, and an open one re-issued after it, both know the appointment
// they had before, and a past period is judged by it.

let test: TestClickHouse;
let clickhouse: ClickHouse;
let dir: string;

const CARRIED = [
  '0228_add_dossier_events_due_change_columns.sql',
  '0229_add_dossier_state_due_history.sql',
  '0230_alter_dossier_state_mv_query.sql',
  '0231_replace_dossiers_view.sql',
  '0232_add_kpi_dossier_facts_due_change_columns.sql',
  '0233_add_kpi_open_facts_due_change_columns.sql',
  '0234_add_kpi_stage_facts_due_change_columns.sql',
  '0235_fill_dossier_state_due_history.sql',
];

async function rows<T>(query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Rows as the text before 0228 wrote them: without the columns it added. */
const before = (events: DossierEventRow[]) =>
  events.map(({ due_since_at: _, due_before_at: __, ...rest }) => rest);

beforeAll(async () => {
  test = await createTestClickHouse({ migrate: false });
  clickhouse = test.clickhouse;
  dir = await mkdtemp(join(tmpdir(), 'dossier-due-history-carry-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (!CARRIED.includes(name)) await cp(join(MIGRATIONS_DIR, name), join(dir, name));
  }
  await migrate(clickhouse, { dir });
});
afterAll(async () => {
  await test?.close();
  await rm(dir, { recursive: true, force: true });
});

const specs: DossierSpec[] = [
  // Due 28 October; a supplement asked for on 2 November, received on 9 November with the appointment
  // re-issued for 19 November; resolved on the 17th. All stored before the upgrade.
  {
    code: 'DONE-MOVED',
    received: '2026-10-22 02:00',
    due: '2026-10-28 10:00',
    supplements: { requested: ['2026-11-02 02:00'], received: ['2026-11-09 02:00'] },
    dueAfterSupplement: '2026-11-19 10:00',
    finished: { at: '2026-11-17 03:00', kind: 'resolved' },
  },
  // One appointment, finished in time in October: nothing to carry.
  {
    code: 'DONE-PLAIN',
    received: '2026-10-23 02:00',
    due: '2026-10-27 10:00',
    finished: { at: '2026-10-26 03:00', kind: 'resolved' },
  },
  // Open at the upgrade, due 29 October; its late supplement and re-issue arrive after it (below).
  { code: 'OPEN-MOVING', received: '2026-10-20 02:00', due: '2026-10-29 10:00' },
];

describe('migrations 0228-0235 (the appointment before a re-issue)', () => {
  it("fold the stored events' appointments into the state, once however often they run", async () => {
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: before(specs.flatMap(dossierEvents)),
      format: 'JSONEachRow',
    });
    const ingested = await rows<{ code: string; first: string; last: string }>(
      `SELECT dossier_code AS code, toString(first_ingested_at) AS first, toString(last_ingested_at) AS last
       FROM dossiers_v1 ORDER BY code`,
    );

    expect(await migrate(clickhouse, { dir: MIGRATIONS_DIR })).toEqual(CARRIED);
    // Then the open dossier's supplement, received with a new appointment, through the new view.
    const common = { agency_code: 'SO-TNMT', procedure_code: 'P-LAND' };
    await clickhouse.insert({
      table: 'dossier_events_v1',
      values: [
        dossierEvent('OPEN-MOVING', 'supplement_requested', '2026-11-03 02:00', {
          ...common,
          supplement_requested_at: [ts('2026-11-03 02:00')],
        }),
        dossierEvent('OPEN-MOVING', 'supplement_received', '2026-11-10 02:00', {
          ...common,
          supplement_received_at: [ts('2026-11-10 02:00')],
          due_at: ts('2026-11-20 10:00'),
          due_since_at: ts('2026-11-10 02:00'),
        }),
      ],
      format: 'JSONEachRow',
    });
    const changes = `SELECT dossier_code AS code, toString(due_at) AS due, toString(due_before_at) AS before,
        toString(due_moved_at) AS moved FROM dossiers_v1 ORDER BY code`;
    const expected = [
      {
        code: 'DONE-MOVED',
        due: ts('2026-11-19 10:00'),
        before: ts('2026-10-28 10:00'),
        moved: ts('2026-11-09 02:00'),
      },
      { code: 'DONE-PLAIN', due: ts('2026-10-27 10:00'), before: null, moved: null },
      {
        code: 'OPEN-MOVING',
        due: ts('2026-11-20 10:00'),
        before: ts('2026-10-29 10:00'),
        moved: ts('2026-11-10 02:00'),
      },
    ];
    expect(await rows(changes)).toEqual(expected);

    // A start-up killed after 0235 stored its rows but before recording it runs it again: nothing changes,
    // the ingestion times (the facts' version) neither.
    const fill = await readFile(join(MIGRATIONS_DIR, CARRIED[7]!), 'utf8');
    await clickhouse.command({ query: fill });
    expect(await rows(changes)).toEqual(expected);
    const again = await rows<{ code: string; first: string; last: string }>(
      `SELECT dossier_code AS code, toString(first_ingested_at) AS first, toString(last_ingested_at) AS last
       FROM dossiers_v1 WHERE dossier_code != 'OPEN-MOVING' ORDER BY code`,
    );
    expect(again).toEqual(ingested.filter((r) => r.code !== 'OPEN-MOVING'));

    // October judged by the appointments in force at its end: DONE-PLAIN on time; the two others past
    // their first appointments with no supplement asked for yet.
    await runKpiCycle(clickhouse, {
      runId: randomUUID(),
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now: formatUtc(Date.now()),
      graceMs: 0,
    });
    const october = await rows<{ n: string; d: string }>(
      `SELECT toString(numerator) AS n, toString(denominator) AS d FROM kpi_latest
       WHERE kpi = 'on_time_rate' AND scope_kind = 'city' AND period_kind = 'month' AND period_start = '2026-10-01'`,
    );
    expect(october).toEqual([{ n: '1', d: '3' }]);
    expect((await verifyKpiState(clickhouse)).exact).toBe(true);
  });
});
