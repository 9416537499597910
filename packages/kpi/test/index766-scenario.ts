import type { DossierEventRow } from '@dossier/schemas';
import type { Ratio, ScorecardInputs } from '../src/index766/score.ts';
import { agency, type DossierSpec, dossierEvents, procedure } from './kpi-fixtures.ts';

/**
 * A province (PROV) with a department (DEPT) that has a sub-unit (SUB), and a commune (COMM), in March
 * 2025; every count below is worked out by hand from the dossiers, for the city and each unit with its
 * sub-units. Times are UTC at 03:00 (10:00 in the city).
 */
export const NOW = '2026-02-15 00:00:00.000';

export const AGENCIES = [
  agency('PROV', 'province'),
  agency('DEPT', 'province', { parent_code: 'PROV' }),
  agency('SUB', 'province', { parent_code: 'DEPT' }),
  agency('COMM', 'commune', { parent_code: 'PROV' }),
];

export const PROCEDURES = [
  // Applied explicitly at DEPT and SUB, published online at both; fee-bearing, paper result required.
  procedure('P-FEE', {
    agency_code: 'DEPT',
    online_class: 'full',
    fee_bearing: 1,
    serves: ['citizen'],
    paper_result_required: 1,
    applied_units: ['DEPT', 'SUB'],
    unit_service_status: ['published', 'published'],
  }),
  // No explicit units: applied at its agency (DEPT); not online, free, for organisations.
  procedure('P-FREE', { agency_code: 'DEPT', online_class: 'none', serves: ['organization'] }),
  // Owned by no unit: applied at every commune; partly online, fee-bearing.
  procedure('P-COMM', {
    agency_code: null,
    admin_levels: ['commune'],
    online_class: 'partial',
    fee_bearing: 1,
    serves: ['citizen'],
  }),
];

const d = (day: string) => `${day} 03:00`;
const synced = { synced_national_at: '2025-03-20 03:00:00.000' };

export const DOSSIERS: DossierSpec[] = [
  // On time, e-result, every document filed, VNeID, paid online, synchronised, online with its e-result.
  {
    code: 'A1',
    agency: 'SUB',
    procedure: 'P-FEE',
    channel: 'online',
    received: d('2025-03-03'),
    due: d('2025-03-10'),
    finished: { at: d('2025-03-05'), kind: 'resolved' },
    fee: 10_000,
    paidOnline: 1,
    extra: { ...synced, result_code_and_file: 1, docs_total: 2, docs_with_file: 2, vneid_verified: 1 },
  },
  // Late and rated dissatisfied; its fee list is all zero (left out of payment A); a digitized component.
  {
    code: 'A2',
    agency: 'DEPT',
    procedure: 'P-FEE',
    received: d('2025-03-04'),
    due: d('2025-03-10'),
    finished: { at: d('2025-03-12'), kind: 'resolved' },
    fee: 0,
    satisfied: 0,
    extra: { ...synced, docs_total: 2, docs_with_file: 1, has_digitized_component: 1 },
  },
  // Open at the end of March past its due date; no fee list (stays in payment A); online but without the
  // e-result its paper-result procedure needs; a component from the national store.
  {
    code: 'A3',
    agency: 'DEPT',
    procedure: 'P-FEE',
    channel: 'online',
    received: d('2025-03-05'),
    due: d('2025-03-20'),
    extra: { docs_from_national_store: 1 },
  },
  // Submitted online, never received: no dossier of the period.
  { code: 'A4', agency: 'DEPT', procedure: 'P-FREE', channel: 'online', submitted: d('2025-03-06') },
  // Not accepted at reception: no dossier of the period either.
  {
    code: 'A5',
    agency: 'DEPT',
    procedure: 'P-FREE',
    received: d('2025-03-06'),
    finished: { at: d('2025-03-07'), kind: 'rejected' },
    extra: synced,
  },
  // On time, satisfied, online (no paper result needed), population database, a fee not paid online.
  {
    code: 'A6',
    agency: 'COMM',
    procedure: 'P-COMM',
    channel: 'online',
    received: d('2025-03-10'),
    due: d('2025-03-20'),
    finished: { at: d('2025-03-11'), kind: 'resolved' },
    fee: 5_000,
    paidOnline: 0,
    satisfied: 1,
    extra: { ...synced, population_db_used: 1 },
  },
  // On time, nothing else.
  {
    code: 'A7',
    agency: 'COMM',
    procedure: 'P-COMM',
    received: d('2025-03-12'),
    due: d('2025-03-20'),
    finished: { at: d('2025-03-14'), kind: 'resolved' },
  },
];

export const EVENTS: DossierEventRow[] = DOSSIERS.flatMap(dossierEvents);

const r = (numerator: number, denominator: number): Ratio => ({ numerator, denominator });

/** The counts of every dossier and catalog component in March 2025 (and its quarter and year), by hand. */
function ratios(x: Record<string, [number, number]>): Record<string, Ratio> {
  return Object.fromEntries(Object.entries(x).map(([k, [n, dd]]) => [`index766.${k}`, r(n, dd)]));
}

const CITY = ratios({
  // A1, A2, A6 synchronised of the 5 received (A4 never received, A5 not accepted).
  'transparency.synchronised': [3, 5],
  // On time: A1, A6, A7; late: A2 (finished after due), A3 (open past due at the period end).
  progress: [3, 5],
  // Catalog: P-FEE, P-FREE, P-COMM; online: P-FEE, P-COMM.
  'online_service.procedures_online': [2, 3],
  // Services DEPT|P-FEE, SUB|P-FEE, COMM|P-COMM all had a dossier received online (A3, A1, A6).
  'online_service.services_used': [3, 3],
  // Online with the needed result: A1, A6 (A3 lacks the e-result its paper-result procedure needs).
  'online_service.online_dossiers': [2, 5],
  // Fee-bearing dossiers less A2 (all-zero list): A1, A3, A6, A7; paid online: A1.
  'online_payment.dossiers_paid': [1, 4],
  // Fee-bearing: P-FEE, P-COMM; a non-zero fee: both (A1, A6); paid online: P-FEE.
  'online_payment.procedures_with_fee': [2, 2],
  'online_payment.procedures_paid': [1, 2],
  // Neither late nor dissatisfied: A1, A6, A7.
  'satisfaction.dossier_satisfaction': [3, 5],
  'digitization.e_result': [1, 5],
  'digitization.digitized_dossiers': [1, 5],
  'digitization.reuse': [1, 5],
  'digitization.shared': [1, 5],
  // Citizen procedures P-FEE, P-COMM, both with a population-database dossier (A1, A6).
  'digitization.population_db_procedures': [2, 2],
  'digitization.population_db_dossiers': [2, 5],
});

/** Per scope (`city` or `agency:<code>`), the scorecard inputs before any external figure is loaded. */
export const EXPECTED: Record<string, ScorecardInputs> = {
  city: { ratios: CITY },
  'agency:PROV': { ratios: CITY },
  // DEPT with SUB: A1, A2, A3; procedures applied at DEPT or SUB: P-FEE, P-FREE.
  'agency:DEPT': {
    ratios: ratios({
      'transparency.synchronised': [2, 3],
      progress: [1, 3],
      'online_service.procedures_online': [1, 2],
      'online_service.services_used': [2, 2],
      'online_service.online_dossiers': [1, 3],
      'online_payment.dossiers_paid': [1, 2],
      'online_payment.procedures_with_fee': [1, 1],
      'online_payment.procedures_paid': [1, 1],
      'satisfaction.dossier_satisfaction': [1, 3],
      'digitization.e_result': [1, 3],
      'digitization.digitized_dossiers': [1, 3],
      'digitization.reuse': [1, 3],
      'digitization.shared': [1, 3],
      'digitization.population_db_procedures': [1, 1],
      'digitization.population_db_dossiers': [1, 3],
    }),
  },
  'agency:SUB': {
    ratios: ratios({
      'transparency.synchronised': [1, 1],
      progress: [1, 1],
      'online_service.procedures_online': [1, 1],
      'online_service.services_used': [1, 1],
      'online_service.online_dossiers': [1, 1],
      'online_payment.dossiers_paid': [1, 1],
      'online_payment.procedures_with_fee': [1, 1],
      'online_payment.procedures_paid': [1, 1],
      'satisfaction.dossier_satisfaction': [1, 1],
      'digitization.e_result': [1, 1],
      'digitization.digitized_dossiers': [1, 1],
      'digitization.reuse': [0, 1],
      'digitization.shared': [0, 1],
      'digitization.population_db_procedures': [1, 1],
      'digitization.population_db_dossiers': [1, 1],
    }),
  },
  // COMM: A6, A7; P-COMM applied at every commune.
  'agency:COMM': {
    ratios: ratios({
      'transparency.synchronised': [1, 2],
      progress: [2, 2],
      'online_service.procedures_online': [1, 1],
      'online_service.services_used': [1, 1],
      'online_service.online_dossiers': [1, 2],
      'online_payment.dossiers_paid': [0, 2],
      'online_payment.procedures_with_fee': [1, 1],
      'online_payment.procedures_paid': [0, 1],
      'satisfaction.dossier_satisfaction': [2, 2],
      'digitization.e_result': [0, 2],
      'digitization.digitized_dossiers': [0, 2],
      'digitization.reuse': [0, 2],
      'digitization.shared': [0, 2],
      'digitization.population_db_procedures': [1, 1],
      'digitization.population_db_dossiers': [1, 2],
    }),
  },
};
