// The dossiers of the at-risk test through Kafka (at-risk-kafka.int.test.ts): DVCQG sync records of open
// dossiers due on several working days around today, overdue ones, ones waiting for a supplement, and
// others that must not be listed, placed on the working-day calendar the pipeline loaded; and where each
// must stand, judged by the rule's TypeScript twin (packages/kpi/src/at-risk/at-risk.ts).
import {
  type AtRiskState,
  atRiskState,
  cityDate,
  dateOfDay,
  dayNumber,
  endOfCityDay,
  isWorkingDay,
  nthWorkingDay,
  type WorkingCalendar,
  workingDayIndex,
} from '@dossier/kpi';
import { agencyEvents, catalogEvent } from '../support/catalog-events.ts';

export const ROOT = 'H29.970';
export const UNITS = [
  { code: ROOT, level: 'district', parent: null },
  { code: 'H29.970.01', level: 'commune', parent: ROOT },
  { code: 'H29.970.01.1', level: 'commune', parent: 'H29.970.01' },
  { code: 'H29.980', level: 'district', parent: null },
] as const;
export const FIELD = 'G01-CA05';
export const PROCEDURE = '1.000970.000.00.00.H29';
/** Its legal maximum (5 working days) is the deadline of a dossier sent without a due date. */
export const PROCEDURE_NO_DUE = '1.000971.000.00.00.H29';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** yyyyMMddHHmmss in city time (UTC+7), as agency systems send DVCQG times. */
export function dvcqgTime(instant: Date): string {
  return new Date(instant.getTime() + 7 * HOUR).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** The working day `n` working days from `today` (n < 0: before it), at `hh:mm` city time. */
export function workingDayAt(calendar: WorkingCalendar, today: string, n: number, hh = 23, mm = 0): Date {
  let date: string;
  if (n >= 0) date = nthWorkingDay(calendar, today, n).value;
  else {
    const target = workingDayIndex(calendar, today) + n;
    let day = dayNumber(today)! - 1;
    while (!(isWorkingDay(calendar, dateOfDay(day)) && workingDayIndex(calendar, dateOfDay(day)) === target))
      day--;
    date = dateOfDay(day);
  }
  return new Date(endOfCityDay(date).getTime() - DAY + hh * HOUR + mm * 60_000);
}

export interface Dossier {
  code: string;
  unit: string;
  status: number;
  procedure: string;
  online: boolean;
  submittedAt: Date;
  receivedAt: Date | null;
  /** The appointment in force (the rule's due date). */
  dueAt: Date | null;
  /** NgayHenTra as the record sends it, when it differs from dueAt (a system that re-issued the
   * appointment only in the supplement entry's NgayHenTraMoi). */
  sentDueAt?: Date;
  /** movedFrom/movedTo: the supplement entry's NgayHenTraTruoc/NgayHenTraMoi (appointment re-issued on receipt). */
  supplements: { requestedAt: Date; receivedAt?: Date; movedFrom?: Date; movedTo?: Date }[];
  finishedAt?: Date;
  /** The state meant when the case was written; the twin must agree (a check of the case itself). */
  intended: AtRiskState | 'not_listed';
}

/** The cases, placed around `now` on `calendar`. */
export function dossiers(calendar: WorkingCalendar, now: Date): Dossier[] {
  const today = cityDate(now);
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  let seq = 0;
  const d = (unit: string, rest: Partial<Dossier> & Pick<Dossier, 'intended'>): Dossier => ({
    code: `${unit}-${dvcqgTime(ago(10)).slice(2, 8)}-${String(++seq).padStart(4, '0')}`,
    unit,
    status: 4,
    procedure: PROCEDURE,
    online: seq % 2 === 0,
    submittedAt: ago(10),
    receivedAt: ago(10),
    dueAt: null,
    supplements: [],
    ...rest,
  });
  const due = (n: number) => workingDayAt(calendar, today, n);
  const [sub, subsub, other] = [UNITS[1].code, UNITS[2].code, UNITS[3].code];
  return [
    d(ROOT, { dueAt: due(-3), intended: 'overdue' }),
    d(sub, { dueAt: due(-1), intended: 'overdue' }),
    d(subsub, { dueAt: due(0), intended: 'due_soon' }),
    d(ROOT, { dueAt: due(1), intended: 'due_soon' }),
    d(sub, { dueAt: due(2), intended: 'due_soon' }),
    d(subsub, { dueAt: due(3), intended: 'on_track' }),
    d(ROOT, { dueAt: due(8), intended: 'on_track' }),
    // The clock stops while the applicant completes the file.
    d(sub, {
      status: 5,
      dueAt: due(4),
      supplements: [{ requestedAt: ago(2) }],
      intended: 'waiting_applicant',
    }),
    // The supplement came back and the agency re-issued the appointment, moved by the wait from the
    // previous working day to the next one: due the next working day (the wait counts once).
    d(subsub, {
      dueAt: due(1),
      supplements: [
        {
          requestedAt: new Date(ago(1).getTime() - (due(1).getTime() - due(-1).getTime())),
          receivedAt: ago(1),
          movedFrom: due(-1),
          movedTo: due(1),
        },
      ],
      intended: 'due_soon',
    }),
    // The same, re-issued only in the supplement entry (NgayHenTra left as it was): NgayHenTraMoi is due.
    d(sub, {
      dueAt: due(1),
      sentDueAt: due(-1),
      supplements: [
        {
          requestedAt: new Date(ago(1).getTime() - (due(1).getTime() - due(-1).getTime())),
          receivedAt: ago(1),
          movedFrom: due(-1),
          movedTo: due(1),
        },
      ],
      intended: 'due_soon',
    }),
    // The supplement came back and the appointment was not re-issued: the record's appointment is the
    // deadline, two working days ahead (adding the four days waited would put it out of the horizon).
    d(ROOT, {
      dueAt: due(2),
      supplements: [{ requestedAt: ago(5), receivedAt: ago(1) }],
      intended: 'due_soon',
    }),
    // A second supplement request makes a dossier late, whatever its due date.
    d(ROOT, {
      status: 5,
      dueAt: due(9),
      supplements: [{ requestedAt: ago(5), receivedAt: ago(4) }, { requestedAt: ago(1) }],
      intended: 'overdue',
    }),
    // No due date: the procedure's legal maximum of 5 working days from receipt, long past.
    d(sub, { procedure: PROCEDURE_NO_DUE, submittedAt: ago(30), receivedAt: ago(30), intended: 'overdue' }),
    // Another unit: listed in the view, not under ROOT.
    d(other, { dueAt: due(-2), intended: 'overdue' }),
    // Not listed, finished a minute ago in the other unit after a supplement's wait, which counts once in
    // its on-time count (ON_TIME_UNIT): re-issued from 4 days ago to yesterday, so late (counting the 3
    // days waited again would make it on time); re-issued from 2 days ago to tomorrow, on time; no
    // supplement, due in two days, on time. With the open overdue dossier above: 2 on time of 4.
    d(other, {
      status: 10,
      dueAt: ago(1),
      supplements: [{ requestedAt: ago(6), receivedAt: ago(3), movedFrom: ago(4), movedTo: ago(1) }],
      finishedAt: ago(1 / 1440),
      intended: 'not_listed',
    }),
    d(other, {
      status: 10,
      dueAt: ago(-1),
      supplements: [{ requestedAt: ago(6), receivedAt: ago(3), movedFrom: ago(2), movedTo: ago(-1) }],
      finishedAt: ago(1 / 1440),
      intended: 'not_listed',
    }),
    d(other, { status: 10, dueAt: ago(-2), finishedAt: ago(1 / 1440), intended: 'not_listed' }),
    // Not listed: finished, not accepted, only submitted.
    d(ROOT, { status: 10, dueAt: due(1), finishedAt: ago(1), intended: 'not_listed' }),
    d(sub, { status: 3, dueAt: due(1), receivedAt: null, finishedAt: ago(9), intended: 'not_listed' }),
    d(subsub, { status: 1, dueAt: due(5), receivedAt: null, intended: 'not_listed' }),
  ];
}

/** The unit whose on-time count the finished supplement cases fix: 2 on time of 4 this month. */
export const ON_TIME_UNIT = { code: 'H29.980', onTime: 2, of: 4 } as const;

/** One DVCQG sync record: the dossier's snapshot as its agency system sends it. */
export function dvcqgRecord(x: Dossier): Record<string, unknown> {
  const r: Record<string, unknown> = {
    MaHoSo: x.code,
    MaTTHC: x.procedure,
    KenhThucHien: x.online ? 2 : 1,
    DonViXuLy: x.unit,
    TrangThaiHoSo: x.status,
    NgayNopHoSo: dvcqgTime(x.submittedAt),
  };
  if (x.receivedAt) r.NgayTiepNhan = dvcqgTime(x.receivedAt);
  const sentDue = x.sentDueAt ?? x.dueAt;
  if (sentDue) r.NgayHenTra = dvcqgTime(sentDue);
  if (x.status === 3 && x.finishedAt) r.NgayTuChoi = dvcqgTime(x.finishedAt);
  if ((x.status === 9 || x.status === 10) && x.finishedAt) r.NgayKetThucXuLy = dvcqgTime(x.finishedAt);
  if (x.status === 10 && x.finishedAt) r.NgayTra = dvcqgTime(x.finishedAt);
  if (x.supplements.length > 0)
    r.DanhSachHoSoBoSung = x.supplements.map((s) => ({
      NgayBoSung: dvcqgTime(s.requestedAt),
      ...(s.receivedAt ? { NgayTiepNhanBoSung: dvcqgTime(s.receivedAt) } : {}),
      ...(s.movedFrom ? { NgayHenTraTruoc: dvcqgTime(s.movedFrom) } : {}),
      ...(s.movedTo ? { NgayHenTraMoi: dvcqgTime(s.movedTo) } : {}),
    }));
  return r;
}

/** The dossier finished now: result returned. */
export const finishedNow = (x: Dossier, now: Date): Dossier => ({ ...x, status: 10, finishedAt: now });

export interface AtRiskRow {
  dossier_code: string;
  agency_code: string;
  procedure_code: string;
  field_code: string;
  channel: string;
  due_at: string | null;
  working_days_left: number | null;
  state: string;
}

/** DateTime64(3) text in UTC, as ClickHouse shows the view's instants (whole seconds here). */
const utcText = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * The rows dossiers_at_risk_v1 must hold for `open` at `now`, sorted by code. A dossier without a due
 * date takes its deadline from `deadlines` (the legal maximum as the view computed it: the rule's twin
 * judges it, the test checks separately that it is there and past).
 */
export function expectedRows(
  calendar: WorkingCalendar,
  open: readonly Dossier[],
  now: Date,
  deadlines: ReadonlyMap<string, string>,
): AtRiskRow[] {
  return open
    .filter((x) => x.receivedAt !== null && x.finishedAt === undefined)
    .map((x) => {
      const noDue = x.dueAt ? null : deadlines.get(x.code);
      const judged = atRiskState(
        calendar,
        {
          dueAt: x.dueAt,
          deadlineNoDue: noDue ? new Date(`${noDue.replace(' ', 'T')}Z`) : null,
          supplementRequestedAt: x.supplements.map((s) => s.requestedAt),
          supplementReceivedAt: x.supplements.flatMap((s) => (s.receivedAt ? [s.receivedAt] : [])),
        },
        now,
      );
      return {
        dossier_code: x.code,
        agency_code: x.unit,
        procedure_code: x.procedure,
        field_code: FIELD,
        channel: x.online ? 'online' : 'direct',
        due_at: x.dueAt ? utcText(x.dueAt) : (noDue ?? null),
        working_days_left: judged.workingDaysLeft,
        state: judged.state,
      };
    })
    .sort((a, b) => a.dossier_code.localeCompare(b.dossier_code));
}

export const catalogMessages = () => [
  ...agencyEvents(UNITS),
  ...[PROCEDURE, PROCEDURE_NO_DUE].map((code) =>
    catalogEvent('procedure', code, {
      code,
      name: `Thủ tục ${code}`,
      field_code: FIELD,
      agency_code: null,
      admin_levels: ['district', 'commune'],
      online_eligible: true,
      online_class: 'partial',
      full_process_eligible: false,
      fee_bearing: false,
      online_payment: false,
      dvcqg_integrated: true,
      max_processing_time: { value: 5, unit: 'WORKING_DAY' },
      valid_from: '2020-01-01',
      valid_to: null,
    }),
  ),
];
