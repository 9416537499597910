import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  atRiskListCutDay,
  atRiskSoonUntil,
  atRiskState,
  CARRY_AT_RISK_OPEN_SQL,
  calendarLoadRows,
  calendarOfRows,
  dossiersAtRiskViewSql,
  type OpenDossierFacts,
  parseCalendarCsv,
  SHIPPED_LOAD_ID,
  SHIPPED_LOADED_AT,
} from '../src/index.ts';

const CSV = readFileSync(new URL('../data/working-calendar-vn.csv', import.meta.url), 'utf8');
const vn = calendarOfRows(calendarLoadRows(parseCalendarCsv(CSV), SHIPPED_LOAD_ID, SHIPPED_LOADED_AT));

// Thursday 26 November 2026, 10:00 in the city (03:00 UTC).
const NOW = new Date('2026-11-26T03:00:00Z');
const city = (local: string) => new Date(`${local}+07:00`);
const facts = (f: Partial<OpenDossierFacts>): OpenDossierFacts => ({
  dueAt: null,
  deadlineNoDue: null,
  supplementRequestedAt: [],
  supplementReceivedAt: [],
  ...f,
});
const state = (f: Partial<OpenDossierFacts>, horizon?: number) => atRiskState(vn, facts(f), NOW, horizon);

describe('where an open dossier stands now', () => {
  it('is overdue when past its due date, by a minute or by days', () => {
    expect(state({ dueAt: city('2026-11-26T09:59:00') })).toMatchObject({
      state: 'overdue',
      workingDaysLeft: 0,
    });
    expect(state({ dueAt: city('2026-11-20T17:00:00') })).toMatchObject({
      state: 'overdue',
      workingDaysLeft: -4,
    });
  });

  it('is due_soon when due later today, or within the horizon of working days', () => {
    expect(state({ dueAt: city('2026-11-26T17:00:00') })).toMatchObject({
      state: 'due_soon',
      workingDaysLeft: 0,
    });
    expect(state({ dueAt: city('2026-11-27T17:00:00') })).toMatchObject({
      state: 'due_soon',
      workingDaysLeft: 1,
    });
    // Saturday 28 counts as Monday 30: two working days ahead.
    expect(state({ dueAt: city('2026-11-28T09:00:00') })).toMatchObject({
      state: 'due_soon',
      workingDaysLeft: 2,
    });
    expect(state({ dueAt: city('2026-11-30T23:59:59') })).toMatchObject({
      state: 'due_soon',
      workingDaysLeft: 2,
    });
    expect(state({ dueAt: city('2026-12-01T00:00:00') })).toMatchObject({
      state: 'on_track',
      workingDaysLeft: 3,
    });
  });

  it('takes another horizon', () => {
    expect(state({ dueAt: city('2026-12-01T09:00:00') }, 3).state).toBe('due_soon');
    expect(state({ dueAt: city('2026-11-27T09:00:00') }, 0).state).toBe('on_track');
    expect(state({ dueAt: city('2026-11-26T17:00:00') }, 0).state).toBe('due_soon');
  });

  it('is waiting_applicant while a supplement is requested and not received: the clock is paused', () => {
    const r = state({
      dueAt: city('2026-11-25T17:00:00'),
      supplementRequestedAt: [city('2026-11-24T09:00:00')],
    });
    // Due yesterday 17:00, but waiting since Tuesday 09:00 (2 days 1 hour so far): the deadline moves with
    // the wait to Friday 27 18:00, so not late, and one working day left.
    expect(r).toMatchObject({ state: 'waiting_applicant', workingDaysLeft: 1 });
  });

  it('takes the appointment re-issued on receipt as it is: the wait counts once', () => {
    // Due Tuesday 24 17:00; waited from Monday 23 09:00 to Thursday 26 09:00 (3 days); the agency re-issued
    // the appointment on receipt for Friday 27 17:00 (dueAt is the latest appointment). Adding the 3 days
    // again would give Monday 30 (3 working days, on_track).
    const r = state({
      dueAt: city('2026-11-27T17:00:00'),
      supplementRequestedAt: [city('2026-11-23T09:00:00')],
      supplementReceivedAt: [city('2026-11-26T09:00:00')],
    });
    expect(r).toMatchObject({ state: 'due_soon', workingDaysLeft: 1, dueAt: city('2026-11-27T17:00:00') });
  });

  it('judges by the unchanged appointment when the supplement came back without a new one', () => {
    // Due Tuesday 24 17:00, supplement back this morning, no appointment re-issued: late since Tuesday (the
    // days waited would have made it due Friday 27).
    const r = state({
      dueAt: city('2026-11-24T17:00:00'),
      supplementRequestedAt: [city('2026-11-23T09:00:00')],
      supplementReceivedAt: [city('2026-11-26T09:00:00')],
    });
    expect(r).toMatchObject({ state: 'overdue', workingDaysLeft: -2 });
  });

  it('is overdue after a second supplement request, however far the due date', () => {
    const r = state({
      dueAt: city('2026-12-20T17:00:00'),
      supplementRequestedAt: [city('2026-11-10T09:00:00'), city('2026-11-20T09:00:00')],
      supplementReceivedAt: [city('2026-11-12T09:00:00')],
    });
    expect(r.state).toBe('overdue');
  });

  it('is overdue when waiting for a supplement requested after the due date', () => {
    const r = state({
      dueAt: city('2026-11-20T17:00:00'),
      supplementRequestedAt: [city('2026-11-24T09:00:00')],
    });
    expect(r.state).toBe('overdue');
  });

  it('takes the legal maximum when there is no due date, and is on_track with neither', () => {
    expect(state({ deadlineNoDue: city('2026-11-27T23:59:59') })).toMatchObject({
      state: 'due_soon',
      dueAt: city('2026-11-27T23:59:59'),
      workingDaysLeft: 1,
    });
    expect(state({})).toMatchObject({ state: 'on_track', dueAt: null, workingDaysLeft: null });
  });

  it('counts through holidays and says when a year has no calendar', () => {
    // Due Monday 3 January 2028: no 2028 calendar is shipped, so that Monday (by the Labour Code the day off
    // for New Year's Day on a Saturday) counts as a working day.
    const r = atRiskState(vn, facts({ dueAt: city('2028-01-03T17:00:00') }), city('2027-12-30T10:00:00'));
    expect(r).toMatchObject({ state: 'due_soon', workingDaysLeft: 2, calendarMissing: [2028] });
    // Due Friday 1 January 2027, New Year's Day in the shipped 2027 calendar: due the Monday after.
    const ny = atRiskState(vn, facts({ dueAt: city('2027-01-01T17:00:00') }), city('2026-12-30T10:00:00'));
    expect(ny).toMatchObject({ state: 'due_soon', workingDaysLeft: 2, calendarMissing: [] });
    const tet27 = atRiskState(vn, facts({ dueAt: city('2027-02-09T17:00:00') }), city('2027-02-04T10:00:00'));
    expect(tet27).toMatchObject({ state: 'due_soon', workingDaysLeft: 1, calendarMissing: [] });
    // Tết 2026: on Friday 13 February, a dossier due Wednesday 18 is due the Monday after, one working day.
    const tet = atRiskState(vn, facts({ dueAt: city('2026-02-18T17:00:00') }), city('2026-02-13T10:00:00'));
    expect(tet).toMatchObject({ state: 'due_soon', workingDaysLeft: 1, calendarMissing: [] });
  });
});

describe('what the route reads for a page', () => {
  it('takes due_soon as due by the horizon-th working day from today', () => {
    // Thursday 26: Friday 27 is one working day ahead, Saturday 28 to Monday 30 two.
    expect(atRiskSoonUntil(vn, NOW, 2)).toBe('2026-11-30');
    expect(atRiskSoonUntil(vn, NOW, 1)).toBe('2026-11-27');
    expect(atRiskSoonUntil(vn, NOW, 0)).toBe('2026-11-26');
    // On a Saturday, today counts as Monday.
    expect(atRiskSoonUntil(vn, city('2026-11-28T10:00:00'), 0)).toBe('2026-11-30');
    // Each agrees with the rule: the day is due_soon, the next one is not.
    for (const h of [0, 1, 2, 5]) {
      const until = atRiskSoonUntil(vn, NOW, h);
      expect(state({ dueAt: city(`${until}T23:59:59`) }, h).state).toBe('due_soon');
      const next = new Date(city(`${until}T23:59:59`).getTime() + 1000);
      expect(state({ dueAt: next }, h).state).toBe('on_track');
    }
  });

  it('reads up to the first working day on or after the due day where the rows reach the page', () => {
    const days = [
      { day: '2026-11-26', state: 'overdue', n: 3 },
      { day: '2026-11-27', state: 'due_soon', n: 2 },
      { day: '2026-11-28', state: 'due_soon', n: 1 },
      { day: '2026-12-01', state: 'on_track', n: 5 },
    ] as const;
    expect(atRiskListCutDay(vn, days, 3)).toBe('2026-11-26');
    expect(atRiskListCutDay(vn, days, 4)).toBe('2026-11-27');
    // Reached on Saturday 28: Sunday 29 and Monday 30 have as many working days left, so they are read.
    expect(atRiskListCutDay(vn, days, 6)).toBe('2026-11-30');
    expect(atRiskListCutDay(vn, days, 7)).toBe('2026-12-01');
    expect(atRiskListCutDay(vn, days, 12)).toBeNull();
    expect(atRiskListCutDay(vn, days, 2, 'on_track')).toBe('2026-12-01');
    expect(atRiskListCutDay(vn, days, 1, 'waiting_applicant')).toBeNull();
    expect(atRiskListCutDay(vn, [{ day: '2149-06-06', state: 'on_track', n: 9 }], 1)).toBeNull();
  });
});

describe('dossiers_at_risk_v1', () => {
  it('is replaced by migration 0226 as dossiersAtRiskViewSql() writes it', () => {
    const migration = readFileSync(
      new URL('../../clickhouse/migrations/0226_replace_dossiers_at_risk_view.sql', import.meta.url),
      'utf8',
    );
    expect(migration).toBe(dossiersAtRiskViewSql());
  });

  it('reads dossiers_at_risk_open_v2, which migration 0225 fills from v1 as CARRY_AT_RISK_OPEN_SQL writes it', () => {
    const migration = readFileSync(
      new URL('../../clickhouse/migrations/0225_fill_dossiers_at_risk_open_v2.sql', import.meta.url),
      'utf8',
    );
    expect(migration).toBe(`${CARRY_AT_RISK_OPEN_SQL}\n`);
    expect(dossiersAtRiskViewSql()).toContain('FROM dossiers_at_risk_open_v2 FINAL');
  });
});
