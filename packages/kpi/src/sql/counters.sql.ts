/**
 * Cell counters besides the dossier KPIs' numerators and denominators, each named for what it counts.
 * Aggregates run over participation rows (participationSql): `in_received` (received in the period),
 * `in_filed` (received, else submitted, in the period), `in_population` (a dossier of the period as the
 * Decision 766 index counts it: received, accepted, and finished in the period or open at its end),
 * `accepted` (not refused at reception), `index766_period` (a month, quarter or year: the index has no
 * day periods, so day cells hold none of its counts, which would otherwise move with a dossier's later
 * facts below the day floor), and the dossier's facts.
 */
export interface Counter {
  key: string;
  aggregate: string;
}

const RECEIVED = 'index766_period AND in_received AND accepted';
const POPULATION = 'index766_period AND in_population';

/** Decision 766 counts per cell (index766-values.sql.ts reads them by key). */
export const INDEX766_COUNTERS: readonly Counter[] = [
  { key: 'index766:population', aggregate: `countIf(${POPULATION})` },
  { key: 'index766:population_on_time', aggregate: `countIf(${POPULATION} AND on_time)` },
  {
    key: 'index766:population_satisfied',
    aggregate: `countIf(${POPULATION} AND on_time AND coalesce(rating_satisfied, 1) = 1)`,
  },
  { key: 'index766:population_e_result', aggregate: `countIf(${POPULATION} AND e_result = 1)` },
  { key: 'index766:population_digitized', aggregate: `countIf(${POPULATION} AND dossier_digitized = 1)` },
  { key: 'index766:population_db_dossiers', aggregate: `countIf(${POPULATION} AND population_db = 1)` },
  { key: 'index766:received', aggregate: `countIf(${RECEIVED})` },
  { key: 'index766:received_synced', aggregate: `countIf(${RECEIVED} AND synced_national = 1)` },
  { key: 'index766:received_online', aggregate: `countIf(${RECEIVED} AND online_with_result = 1)` },
  { key: 'index766:received_reused', aggregate: `countIf(${RECEIVED} AND data_reused = 1)` },
  { key: 'index766:received_shared', aggregate: `countIf(${RECEIVED} AND data_shared = 1)` },
  // Payment A: fee-bearing procedures' dossiers, less those whose synchronised fee list is all zero (a
  // dossier that synchronised no list stays: the portal penalises missing fee data).
  {
    key: 'index766:fee_dossiers',
    aggregate: `countIf(${RECEIVED} AND fee_bearing = 1 AND NOT (fee_known = 1 AND fee_positive = 0))`,
  },
  {
    key: 'index766:fee_dossiers_paid',
    aggregate: `countIf(${RECEIVED} AND fee_bearing = 1 AND NOT (fee_known = 1 AND fee_positive = 0) AND paid_online = 1)`,
  },
];

/**
 * Per-procedure counts kept per scope and procedure in kpi_scope_procedures_v1 (`column`): which
 * procedures of a unit had, in the period, a dossier with a non-zero fee (payment B, dated by reception,
 * else submission), an online payment (C), a dossier received online (3.2) or one using the population
 * database (4.5a).
 */
export const PROCEDURE_COUNTERS: readonly (Counter & { column: string })[] = [
  {
    key: 'procedure:fee_data',
    column: 'fee_data',
    aggregate: 'countIf(index766_period AND in_filed AND fee_positive = 1)',
  },
  {
    key: 'procedure:paid_online',
    column: 'paid_online',
    aggregate: 'countIf(index766_period AND in_received AND paid_online = 1)',
  },
  {
    key: 'procedure:online_received',
    column: 'online_received',
    aggregate: `countIf(${RECEIVED} AND channel = 'online')`,
  },
  {
    key: 'procedure:population_db',
    column: 'population_db',
    aggregate: `countIf(${RECEIVED} AND population_db = 1)`,
  },
];

/** Every named counter of the cell layout, after the dossier KPIs' own. */
export const NAMED_COUNTERS: readonly Counter[] = [
  { key: '_rows', aggregate: 'count()' },
  ...INDEX766_COUNTERS,
  ...PROCEDURE_COUNTERS,
];

/**
 * Whether an aggregate can only count 0: `countIf` of a conjunction one of whose terms is the constant 0
 * (`0 AND x` is 0 whatever x, NULL included). Only a plain conjunction is recognized: a condition with an
 * OR, a BETWEEN, a CASE, a conditional or a lambda outside parentheses is left alone.
 */
export function countsNothing(aggregate: string): boolean {
  const condition = /^countIf\((.*)\)$/s.exec(aggregate.trim())?.[1];
  if (condition === undefined) return false;
  let depth = 0;
  let top = '';
  // String literals first: their parentheses and words are not the condition's.
  for (const ch of condition.replace(/'(?:[^'\\]|\\.|'')*'/g, "''")) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) top += ch;
    if (depth < 0) return false;
  }
  if (depth !== 0 || /\b(OR|BETWEEN|CASE|WHEN|THEN|ELSE|END)\b|\?|->/i.test(top)) return false;
  return top.split(/\bAND\b/i).some((term) => term.trim() === '0');
}
