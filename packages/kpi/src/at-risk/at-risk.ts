import { type OnTimeFacts, onTimeAt } from '../on-time.ts';
import {
  type CalendarDate,
  type CalendarMissingYears,
  calendarMissing,
  cityDate,
  nthWorkingDay,
  type WorkingCalendar,
  workingDaysBetween,
} from '../working-days/working-days.ts';

// Where an open dossier stands now, under the progress component's on-time rule (cells.sql.ts
// participationSql) judged at "now": the TypeScript twin of dossiers_at_risk_v1 (at-risk.sql.ts).

export const AT_RISK_STATES = ['overdue', 'due_soon', 'waiting_applicant', 'on_track'] as const;
export type AtRiskState = (typeof AT_RISK_STATES)[number];

/** The default number of working days ahead that makes a dossier due_soon. */
export const DEFAULT_HORIZON = 2;

/** The facts the rule reads (kpi_open_facts_v1's columns), instants as Dates. */
export type OpenDossierFacts = OnTimeFacts;

export interface AtRisk extends CalendarMissingYears {
  state: AtRiskState;
  /** The deadline: the due date, else the legal maximum; null when neither is known. */
  dueAt: Date | null;
  /** Working days from today to the deadline (moved by the wait while awaited); null without a deadline. */
  workingDaysLeft: number | null;
}

/**
 * overdue: late if the period ended now (more than one supplement request, or past the deadline, moved by
 * the wait so far while the one supplement is awaited); waiting_applicant: a supplement requested and not received (clock paused);
 * due_soon: late if judged at the end of the working day `horizon` working days from today, i.e. at most
 * `horizon` working days left; on_track otherwise (also with no deadline at all).
 */
export function atRiskState(
  calendar: WorkingCalendar,
  facts: OpenDossierFacts,
  now: Date,
  horizon = DEFAULT_HORIZON,
): AtRisk {
  const t = now.getTime();
  // The clock is paused only while the one supplement is awaited: once it is received, the appointment the
  // record carries is the one re-issued on receipt, which already holds the wait (onTimeSql).
  const { onTime, waitingMs, deadline } = onTimeAt(facts, now);
  const effective = deadline ? new Date(deadline.getTime() + waitingMs) : null;
  const late = !onTime;
  const requested = facts.supplementRequestedAt.filter((d) => d.getTime() < t);
  const received = facts.supplementReceivedAt.filter((d) => d.getTime() < t);
  const pending = received.length < requested.length;
  const today = cityDate(now);
  const left = effective ? workingDaysBetween(calendar, today, cityDate(effective)) : null;
  const state: AtRiskState = late
    ? 'overdue'
    : pending
      ? 'waiting_applicant'
      : left !== null && left.value <= horizon
        ? 'due_soon'
        : 'on_track';
  return {
    state,
    dueAt: deadline,
    workingDaysLeft: left?.value ?? null,
    calendarMissing: left?.calendarMissing ?? calendarMissing(calendar, today, today),
  };
}

/**
 * The last day a deadline may fall on and still have at most `horizon` working days left at `now`: the
 * `horizon`-th working day from today (a day off after it counts as the next working day). Working days
 * left only grow with the due day, so due_soon is "due by this day" (at-risk.sql.ts stateByDaySql).
 */
export function atRiskSoonUntil(calendar: WorkingCalendar, now: Date, horizon: number): CalendarDate {
  return nthWorkingDay(calendar, cityDate(now), horizon).value;
}

/** Open dossiers not waiting for the applicant, per due day and state (at-risk.sql.ts atRiskUnitCountsSql byDueDay). */
export interface DueDayCount {
  day: CalendarDate;
  state: AtRiskState;
  n: number;
}

/** The due day a dossier without any deadline is stored with (dossiers_at_risk_open_v2). */
const NO_DUE_DAY = '2149-06-06';

/**
 * The day up to which the list must read to hold its first `need` rows (of `state`, if given) in
 * working-days-left order, or null to read them all. A dossier not waiting for the applicant is due on
 * its due day, and a waiting one's deadline only moves later; so the rows due after the first working
 * day on or after the day where `dueDays` (in due-day order) reach `need` all have more working days
 * left than those `need`, and need not be read. Waiting dossiers' own list is read whole.
 */
export function atRiskListCutDay(
  calendar: WorkingCalendar,
  dueDays: readonly DueDayCount[],
  need: number,
  state?: AtRiskState,
): CalendarDate | null {
  if (state === 'waiting_applicant') return null;
  let sum = 0;
  for (const d of dueDays) {
    if (d.day === NO_DUE_DAY) return null;
    if (state !== undefined && d.state !== state) continue;
    sum += d.n;
    if (sum >= need) return nthWorkingDay(calendar, d.day, 0).value;
  }
  return null;
}
