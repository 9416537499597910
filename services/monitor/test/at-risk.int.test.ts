import { atRiskState, readWorkingCalendar } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, openFacts, seedAtRiskAgencies, seedOpenFacts } from './at-risk-fixtures.ts';
import { type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';

// GET /api/at-risk over dossiers_at_risk_v1: a unit with a sub-unit and a sub-sub-unit, and a unit
// outside it. Open facts are written as the KPI cycle writes them; the view judges them at now().

let fixture: FixtureMonitor;
const now = Date.now();

const agencies = [
  { agency_code: 'RISK-P', parent_code: null, admin_level: 'province' },
  { agency_code: 'RISK-C', parent_code: 'RISK-P', admin_level: 'district' },
  { agency_code: 'RISK-G', parent_code: 'RISK-C', admin_level: 'commune' },
  { agency_code: 'RISK-X', parent_code: null, admin_level: 'province' },
  { agency_code: 'RISK-Q', parent_code: null, admin_level: 'province' },
  { agency_code: 'RISK-Q1', parent_code: 'RISK-Q', admin_level: 'commune' },
  { agency_code: 'RISK-R', parent_code: null, admin_level: 'province' },
];
const open = (code: string, agency: string, dueInMs: number | null, extra: Record<string, unknown> = {}) =>
  openFacts(now, code, agency, dueInMs, extra);

// A unit whose pages stop reading early: due every 13 hours from 5 days ago (weekends and days off between,
// so several due days share their working days left), some waiting for the applicant (their deadline
// moves later), some with two requests, one without a due date.
const many = Array.from({ length: 48 }, (_, i) => {
  const extra: Record<string, unknown> =
    i % 7 === 3
      ? { supplement_requested_at: [formatUtc(now - ((i % 3) + 1) * DAY)] }
      : i % 11 === 5
        ? {
            supplement_requested_at: [formatUtc(now - 4 * DAY), formatUtc(now - 2 * DAY)],
            supplement_received_at: [formatUtc(now - 3 * DAY)],
          }
        : {};
  return open(
    `Q${String(i).padStart(2, '0')}`,
    i % 2 ? 'RISK-Q1' : 'RISK-Q',
    i === 47 ? null : (i * 13 - 120) * 3_600_000,
    extra,
  );
});

// Supplements received after a wait, the appointment re-issued on receipt (the wait is in it): R1's new
// appointment passed an hour ago (overdue, though it waited five days), R2's is in three days.
const supplement = (requestedAgo: number, receivedAgo: number) => ({
  supplement_requested_at: [formatUtc(now - requestedAgo)],
  supplement_received_at: [formatUtc(now - receivedAgo)],
});
const received = [
  open('R1-RECEIVED-LATE', 'RISK-R', -3_600_000, supplement(6 * DAY, DAY)),
  open('R2-RECEIVED', 'RISK-R', 3 * DAY, supplement(3 * DAY, 2 * 3_600_000)),
];

beforeAll(async () => {
  fixture = await startFixtureMonitor();
  const ch = fixture.store.clickhouse;
  await seedAtRiskAgencies(ch, agencies);
  await seedOpenFacts(ch, [
    open('D1-OVERDUE', 'RISK-P', -3 * DAY),
    open('D2-OVERDUE', 'RISK-G', -DAY),
    open('D3-FAR', 'RISK-C', 40 * DAY),
    open('D4-WAITING', 'RISK-G', 30 * DAY, { supplement_requested_at: [formatUtc(now - DAY)] }),
    open('D5-NODUE', 'RISK-C', null),
    open('D6-OTHER', 'RISK-X', -DAY),
    ...received,
    ...many,
  ]);
});
afterAll(async () => {
  await fixture?.stop();
});

interface Answer {
  total: number;
  counts: Record<string, number>;
  units: { agency: string; counts: Record<string, number> }[];
  rows: { dossier_code: string; agency_code: string; state: string; working_days_left: number | null }[];
}

const get = async (query: string) => {
  const res = await fetch(`${fixture.base}/api/at-risk?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
};

describe('GET /api/at-risk', () => {
  it('lists a unit and its sub-units at any depth, sorted by working days left, with counts per unit', async () => {
    const a = await get('agency=RISK-P');
    expect(a.rows.map((r) => r.dossier_code)).toEqual([
      'D1-OVERDUE',
      'D2-OVERDUE',
      'D4-WAITING',
      'D3-FAR',
      'D5-NODUE',
    ]);
    expect(a.rows.map((r) => r.state)).toEqual([
      'overdue',
      'overdue',
      'waiting_applicant',
      'on_track',
      'on_track',
    ]);
    expect(a.total).toBe(5);
    expect(a.counts).toEqual({ overdue: 2, due_soon: 0, waiting_applicant: 1, on_track: 2 });
    expect(a.units).toEqual([
      { agency: 'RISK-C', counts: { overdue: 1, due_soon: 0, waiting_applicant: 1, on_track: 2 } },
      { agency: 'RISK-G', counts: { overdue: 1, due_soon: 0, waiting_applicant: 1, on_track: 0 } },
      { agency: 'RISK-P', counts: { overdue: 2, due_soon: 0, waiting_applicant: 1, on_track: 2 } },
    ]);
  });

  it('matches dossiers_at_risk_v1 for the unit', async () => {
    const result = await fixture.store.clickhouse.query({
      query: `SELECT dossier_code, state FROM dossiers_at_risk_v1
              WHERE agency_code IN ('RISK-P', 'RISK-C', 'RISK-G') ORDER BY dossier_code`,
      format: 'JSONEachRow',
    });
    const view = await result.json<{ dossier_code: string; state: string }>();
    const api = (await get('agency=RISK-P')).rows
      .map((r) => ({ dossier_code: r.dossier_code, state: r.state }))
      .sort((x, y) => x.dossier_code.localeCompare(y.dossier_code));
    expect(api).toEqual(view);
  });

  it('judges a dossier whose supplement was received after a wait by its re-issued appointment, the wait not added again', async () => {
    const ch = fixture.store.clickhouse;
    const calendar = await readWorkingCalendar(ch);
    const a = await get('agency=RISK-R');
    const view = await (
      await ch.query({
        query: `SELECT dossier_code, state, working_days_left, as_of FROM dossiers_at_risk_v1
                WHERE agency_code = 'RISK-R' ORDER BY dossier_code`,
        format: 'JSONEachRow',
      })
    ).json<{ dossier_code: string; state: string; working_days_left: string; as_of: string }>();
    const utc = (s: string) => new Date(`${s.replace(' ', 'T')}Z`);
    const twin = (fixtureRow: (typeof received)[number], asOf: Date) => {
      const row = fixtureRow as typeof fixtureRow & {
        supplement_requested_at: string[];
        supplement_received_at: string[];
      };
      const t = atRiskState(
        calendar,
        {
          dueAt: utc(String(row.due_at)),
          deadlineNoDue: null,
          supplementRequestedAt: row.supplement_requested_at.map(utc),
          supplementReceivedAt: row.supplement_received_at.map(utc),
        },
        asOf,
      );
      return { dossier_code: row.dossier_code, state: t.state, working_days_left: t.workingDaysLeft };
    };
    expect(a.rows.map((r) => r.state)).toEqual(['overdue', expect.stringMatching(/^(due_soon|on_track)$/)]);
    expect(
      a.rows.map((r) => ({
        dossier_code: r.dossier_code,
        state: r.state,
        working_days_left: r.working_days_left,
      })),
    ).toEqual(received.map((row) => twin(row, new Date())));
    expect(
      view.map((r) => ({ ...r, working_days_left: Number(r.working_days_left), as_of: undefined })),
    ).toEqual(
      received.map((row) => ({
        ...twin(row, utc(view[0]?.as_of ?? '')),
        as_of: undefined,
      })),
    );
    // The list's table keeps the real receipt (not the request time).
    const stored = await (
      await ch.query({
        query: `SELECT dossier_code, arrayMap(x -> toString(x), supplement_received_at) AS received
                FROM dossiers_at_risk_open_v2 FINAL WHERE agency_code = 'RISK-R' ORDER BY dossier_code`,
        format: 'JSONEachRow',
      })
    ).json();
    expect(stored).toEqual(
      received.map((r) => ({ dossier_code: r.dossier_code, received: r.supplement_received_at })),
    );
  });

  it('filters by state, takes another horizon, pages, and exports CSV', async () => {
    const overdue = await get('agency=RISK-C&state=overdue');
    expect(overdue.rows.map((r) => r.dossier_code)).toEqual(['D2-OVERDUE']);
    expect(overdue.total).toBe(1);
    // With a horizon of 60 working days, the dossier due in 40 days is due soon.
    const wide = await get('agency=RISK-C&horizon=60&state=due_soon');
    expect(wide.rows.map((r) => r.dossier_code)).toEqual(['D3-FAR']);
    const page2 = await get('agency=RISK-P&pageSize=2&page=2');
    expect(page2.rows.map((r) => r.dossier_code)).toEqual(['D4-WAITING', 'D3-FAR']);
    expect(page2.total).toBe(5);
    const city = await get('');
    expect(city.counts.overdue).toBeGreaterThanOrEqual(3);

    const res = await fetch(`${fixture.base}/api/at-risk?agency=RISK-G&format=csv`);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'dossier_code,agency_code,procedure_code,field_code,channel,received_at,due_at,working_days_left,state,calendar_complete,as_of',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['D2-OVERDUE', 'D4-WAITING']);
  });

  it('pages read only up to the due day their rows reach, in the same order as the whole list', async () => {
    for (const state of ['', 'overdue', 'due_soon', 'on_track', 'waiting_applicant']) {
      const filter = `agency=RISK-Q${state ? `&state=${state}` : ''}`;
      const res = await fetch(`${fixture.base}/api/at-risk?${filter}&format=csv`);
      const whole = (await res.text())
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]);
      for (const pageSize of [1, 7]) {
        const paged: string[] = [];
        for (let page = 1; (page - 1) * pageSize < whole.length && page <= 8; page++) {
          const a = await get(`${filter}&pageSize=${pageSize}&page=${page}`);
          expect(a.total).toBe(whole.length);
          paged.push(...a.rows.map((r) => r.dossier_code));
        }
        expect([state, pageSize, paged]).toEqual([state, pageSize, whole.slice(0, paged.length)]);
      }
    }
  });

  it('refuses an unknown state', async () => {
    const res = await fetch(`${fixture.base}/api/at-risk?state=late`);
    expect(res.status).toBe(400);
  });
});
