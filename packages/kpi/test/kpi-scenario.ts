import type { DossierEventRow } from '@dossier/schemas';
import { agency, type DossierSpec, dossierEvents, procedure } from './kpi-fixtures.ts';

/**
 * The hand-computed scenario of kpi-cycle.int.test.ts. Times are UTC at 03:00 (10:00 in the city), so
 * every event sits well inside its city day. March 2025: 1 Mar is a Saturday, 10 Mar a Monday.
 */
export const NOW = '2026-02-15 00:00:00.000';

export const AGENCIES = [agency('SO-TNMT', 'province'), agency('Q1', 'district', { valid_to: '2025-07-01' })];

export const PROCEDURES = [
  procedure('P-LAND', {
    field_code: 'G13-TN02',
    online_class: 'full',
    fee_bearing: 1,
    online_payment: 1,
    dvcqg_integrated: 1,
    max_processing_working_days: 10,
  }),
  procedure('P-HH', {
    field_code: 'G01-CA05',
    agency_code: 'Q1',
    admin_levels: ['district', 'commune'],
    online_class: 'partial',
    max_processing_working_days: 5,
  }),
  procedure('P-OLD', { field_code: 'G17-XD08', online_class: 'none', fee_bearing: 1 }),
  procedure('P-NEW', {
    field_code: 'G17-XD08',
    online_class: 'full',
    fee_bearing: 1,
    online_payment: 1,
    dvcqg_integrated: 1,
    valid_from: '2026-01-01',
  }),
];

const d = (day: string, time = '03:00') => `${day} ${time}`;

export const MARCH_DOSSIERS: DossierSpec[] = [
  // On time, fee paid online, satisfied, digitized.
  {
    code: 'D1',
    channel: 'online',
    received: d('2025-03-03'),
    due: d('2025-03-10'),
    finished: { at: d('2025-03-07'), kind: 'resolved' },
    fee: 50_000,
    paidOnline: 1,
    satisfied: 1,
    digitized: true,
  },
  // Late, fee paid at the counter, dissatisfied, not digitized.
  {
    code: 'D2',
    channel: 'direct',
    received: d('2025-03-04'),
    due: d('2025-03-10'),
    finished: { at: d('2025-03-12'), kind: 'resolved' },
    fee: 50_000,
    paidOnline: 0,
    satisfied: 0,
  },
  // One supplement, 5 days of waiting: the agency re-issued the appointment 5 days later on receipt;
  // finished 4 days after the first due date, yet on time (the wait counted once, in the appointment).
  {
    code: 'D3',
    channel: 'online',
    received: d('2025-03-05'),
    due: d('2025-03-12'),
    supplements: { requested: [d('2025-03-06')], received: [d('2025-03-11')] },
    dueAfterSupplement: d('2025-03-17'),
    finished: { at: d('2025-03-16'), kind: 'resolved' },
    fee: 0,
    digitized: true,
  },
  // Two supplement requests: late although finished before the due date.
  {
    code: 'D4',
    channel: 'online',
    received: d('2025-03-05'),
    due: d('2025-03-20'),
    supplements: {
      requested: [d('2025-03-06'), d('2025-03-09')],
      received: [d('2025-03-07'), d('2025-03-10')],
    },
    finished: { at: d('2025-03-12'), kind: 'resolved' },
    fee: 20_000,
    paidOnline: 1,
  },
  // No due date, 5 working days (P-HH) from Mon 10 Mar: deadline end of Mon 17 Mar.
  {
    code: 'D5',
    agency: 'Q1',
    procedure: 'P-HH',
    received: d('2025-03-10'),
    finished: { at: d('2025-03-14'), kind: 'resolved' },
  },
  {
    code: 'D6',
    agency: 'Q1',
    procedure: 'P-HH',
    received: d('2025-03-10'),
    finished: { at: d('2025-03-19'), kind: 'resolved' },
  },
  // Withdrawn before its due date: finished on time, not resolved.
  {
    code: 'D7',
    channel: 'online',
    received: d('2025-03-11'),
    due: d('2025-03-18'),
    finished: { at: d('2025-03-13'), kind: 'withdrawn' },
  },
  // Not accepted at reception: never received, finished (rejected) the same day, no due date.
  { code: 'D8', submitted: d('2025-03-12'), finished: { at: d('2025-03-12', '05:00'), kind: 'rejected' } },
  // Open at the end of March: D9 still within its due date, D10 already overdue.
  {
    code: 'D9',
    received: d('2025-03-25'),
    due: d('2025-04-05'),
    finished: { at: d('2025-04-10'), kind: 'resolved' },
  },
  {
    code: 'D10',
    received: d('2025-03-20'),
    due: d('2025-03-28'),
    finished: { at: d('2025-04-02'), kind: 'resolved' },
  },
  // Delivered twice (below): counts once.
  {
    code: 'D11',
    channel: 'online',
    received: d('2025-03-03'),
    due: d('2025-03-10'),
    finished: { at: d('2025-03-06'), kind: 'resolved' },
    digitized: true,
  },
];

/** Arrives after March was computed. */
export const LATE_DOSSIER: DossierSpec = {
  code: 'D12',
  channel: 'online',
  received: d('2025-03-15'),
  due: d('2025-03-20'),
  finished: { at: d('2025-03-16'), kind: 'resolved' },
};

/** 3 of 4 online in December 2025 and in January 2026: the same 0.75 meets phase 1 (> 50%) but not phase 2 (> 80%). */
export const BOUNDARY_DOSSIERS: DossierSpec[] = ['2025-12', '2026-01'].flatMap((month) =>
  (['online', 'online', 'online', 'direct'] as const).map((channel, i) => ({
    code: `B${month}-${i}`,
    channel,
    received: d(`${month}-0${i + 5}`),
    due: d(`${month}-28`),
    finished: { at: d(`${month}-20`), kind: 'resolved' as const },
  })),
);

export function scenarioEvents(specs: DossierSpec[]): DossierEventRow[] {
  const events = specs.flatMap(dossierEvents);
  const d11 = events.filter((e) => e.dossier_code === 'D11');
  // The same events redelivered (same event_id), and the finish resent under a new id (a DVCQG snapshot).
  const resent = d11
    .filter((e) => e.kind === 'resolved')
    .map((e) => ({ ...e, event_id: `${e.event_id}:resent` }));
  return [...events, ...d11, ...resent];
}
