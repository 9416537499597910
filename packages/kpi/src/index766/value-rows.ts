import { INDEX766_SETS, INDEX766_SUMS } from '../sql/index766-sources.sql.ts';
import { COMPONENTS, type Component, GROUPS, MISSING_REASON, TOTAL_KPI } from './components.ts';
import { componentHundredths } from './score.ts';

/**
 * The rows the Decision 766 statement (sql/index766-values.sql.ts) writes for one (period, scope), computed
 * in TypeScript from the same inputs (index766ScopeInputsSql's columns): the index of the running periods
 * is kept per scope and scored here for the scopes that moved (index766-running.ts). Same numbers, scores,
 * maxima and reasons as the statement; a test compares both on the engine's scenario.
 */

export type SumName = (typeof INDEX766_SUMS)[number];
export type SetName = (typeof INDEX766_SETS)[number];

/**
 * One (period, scope) of index766ScopeInputsSql as the scorer needs it (running-deltas.ts
 * scoringInputsSql): sums in INDEX766_SUMS order, each set's size in INDEX766_SETS order (sets without
 * duplicates, the statement's groupUniqArrayArray), the common elements of INDEX766_COMMONS' pairs.
 */
export interface ScopeInputs {
  period_kind: string;
  period_start: string;
  scope_kind: string;
  scope_code: string;
  sums: number[];
  sizes: number[];
  commons: number[];
  figures: [string, number, number][];
  catalog_size: number;
}

/** The pairs of sets whose common elements a component counts (COUNTS_TS' `common`). */
export const INDEX766_COMMONS: readonly (readonly [SetName, SetName])[] = [
  ['services', 'used_services'],
  ['fee_procs', 'fee_data_procs'],
  ['fee_procs', 'paid_procs'],
  ['citizen_procs', 'population_db_procs'],
];

/** A staged values row (kpi_stage_values_v1's columns but values_id). */
export interface ValueRow {
  kpi: string;
  scope_kind: string;
  scope_code: string;
  period_kind: string;
  period_start: string;
  numerator: number;
  denominator: number;
  score_override: number | null;
  max_score_override: number;
  reason: string;
  scope_rows: number;
}

export const VALUE_COLUMNS = [
  'kpi',
  'scope_kind',
  'scope_code',
  'period_kind',
  'period_start',
  'numerator',
  'denominator',
  'score_override',
  'max_score_override',
  'reason',
  'scope_rows',
] as const satisfies readonly (keyof ValueRow)[];

const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};
export const tsvField = (v: string | number | null) =>
  v === null
    ? '\\N'
    : typeof v === 'number'
      ? String(v)
      : v.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c] ?? c);

/**
 * Staged values rows (values_id, then VALUE_COLUMNS) as TabSeparated text: the engine parses it in about
 * a third of the CPU of the same rows as JSON arrays, and the client writes it for less than it encodes
 * JSON. A number is written as JSON writes it (String), so it parses to the same value.
 */
export function valueRowsTsv(valuesId: string, rows: readonly ValueRow[]): string {
  const id = tsvField(valuesId);
  let text = '';
  for (const r of rows) text += `${id}\t${VALUE_COLUMNS.map((c) => tsvField(r[c])).join('\t')}\n`;
  return text;
}

/** A scope's counts out of the range the statement's unsigned columns hold the same way: not scored here. */
export class UnscorableInputs extends Error {}

interface Counts {
  n: number;
  d: number;
  scoredN: number;
  scoredD: number;
  has: boolean;
}

type Reader = {
  sum: (name: SumName) => number;
  size: (name: SetName) => number;
  common: (a: SetName, b: SetName) => number;
  syncDenominator: number;
};

/** COUNTS of index766-values.sql.ts, in TypeScript. */
const COUNTS_TS: Record<string, (r: Reader) => { n: number; d: number; scoredN?: number; scoredD?: number }> =
  {
    'index766.transparency.synchronised': (r) => ({ n: r.sum('received_synced'), d: r.syncDenominator }),
    'index766.progress': (r) => ({ n: r.sum('population_on_time'), d: r.sum('population') }),
    'index766.online_service.procedures_online': (r) => ({ n: r.size('online_procs'), d: r.size('procs') }),
    'index766.online_service.services_used': (r) => ({
      n: r.common('services', 'used_services'),
      d: r.size('services'),
    }),
    'index766.online_service.online_dossiers': (r) => ({
      n: r.sum('received_online'),
      d: r.sum('received'),
      scoredN: r.sum('received_online') * r.sum('received_synced'),
      scoredD: r.sum('received') * r.syncDenominator,
    }),
    'index766.online_payment.dossiers_paid': (r) => ({
      n: r.sum('fee_dossiers_paid'),
      d: r.sum('fee_dossiers'),
    }),
    'index766.online_payment.procedures_with_fee': (r) => ({
      n: r.common('fee_procs', 'fee_data_procs'),
      d: r.size('fee_procs'),
    }),
    'index766.online_payment.procedures_paid': (r) => ({
      n: r.common('fee_procs', 'paid_procs'),
      d: r.size('fee_procs'),
    }),
    'index766.satisfaction.dossier_satisfaction': (r) => ({
      n: Math.max(r.sum('population_satisfied') - r.sum('petitioned'), 0),
      d: r.sum('population'),
    }),
    'index766.digitization.e_result': (r) => ({ n: r.sum('population_e_result'), d: r.sum('population') }),
    'index766.digitization.digitized_dossiers': (r) => ({
      n: r.sum('population_digitized'),
      d: r.sum('population'),
    }),
    'index766.digitization.reuse': (r) => ({ n: r.sum('received_reused'), d: r.sum('received') }),
    'index766.digitization.shared': (r) => ({ n: r.sum('received_shared'), d: r.sum('received') }),
    'index766.digitization.population_db_procedures': (r) => ({
      n: r.common('citizen_procs', 'population_db_procs'),
      d: r.size('citizen_procs'),
    }),
    'index766.digitization.population_db_dossiers': (r) => ({
      n: r.sum('population_db_dossiers'),
      d: r.sum('population'),
    }),
  };

const figureIndex = (figures: ScopeInputs['figures'], id: string) => figures.findIndex((f) => f[0] === id);

function countsOf(c: Component, inputs: ScopeInputs, r: Reader): Counts {
  if (c.source === 'external') {
    const at = figureIndex(inputs.figures, c.id);
    const f = inputs.figures[at];
    const n = f ? f[1] : 0;
    const d = f ? f[2] : 0;
    return { n, d, scoredN: n, scoredD: d, has: at >= 0 };
  }
  const counts = COUNTS_TS[c.id];
  if (!counts) throw new Error(`no counts for Decision 766 component ${c.id}`);
  const x = counts(r);
  return {
    n: x.n,
    d: x.d,
    scoredN: x.scoredN ?? x.n,
    scoredD: x.scoredD ?? x.d,
    has: c.source === 'catalog' ? inputs.catalog_size > 0 : true,
  };
}

/** A count as the statement's toUInt64 holds it: a whole number in [0, 2^53). */
function unsigned(x: number): number {
  if (!Number.isSafeInteger(x) || x < 0) throw new UnscorableInputs(`count ${x} out of range`);
  return x;
}

const GROUP_ROWS = GROUPS.filter((g) => !COMPONENTS.some((c) => c.id === g.kpi));

// Positions looked up once, not per scope: the running path scores every moved scope twice a cycle.
const SUM_AT = new Map<string, number>(INDEX766_SUMS.map((name, i) => [name, i]));
const SET_AT = new Map<string, number>(INDEX766_SETS.map((name, i) => [name, i]));
const COMMON_AT = new Map<string, number>(INDEX766_COMMONS.map(([a, b], i) => [`${a}|${b}`, i]));

/** Every component, group and total row of one (period, scope), as index766ValuesSql gives them. */
export function index766ValueRows(inputs: ScopeInputs): ValueRow[] {
  const sum = (name: SumName) => inputs.sums[SUM_AT.get(name) ?? -1] ?? 0;
  const size = (name: SetName) => inputs.sizes[SET_AT.get(name) ?? -1] ?? 0;
  const national = figureIndex(inputs.figures, 'national_reporting.received');
  const reader: Reader = {
    sum,
    size,
    common: (a, b) => {
      const at = COMMON_AT.get(`${a}|${b}`);
      if (at === undefined) throw new Error(`Decision 766 sets ${a} and ${b} are not among INDEX766_COMMONS`);
      return inputs.commons[at] ?? 0;
    },
    syncDenominator: Math.max(sum('received'), national < 0 ? 0 : (inputs.figures[national]?.[1] ?? 0)),
  };
  const { scope_kind, scope_code, period_kind, period_start } = inputs;
  const scopeRows = unsigned(sum('dossier_rows') + size('procs') + inputs.figures.length);
  const rows: ValueRow[] = [];
  // Earned hundredths and available points of the components with data, per group and in all, summed in
  // COMPONENTS' order (as the statement's arrays are).
  const groups = new Map<string, { earned: number; available: number }>();
  const total = { earned: 0, available: 0 };
  for (const c of COMPONENTS) {
    const counts = countsOf(c, inputs, reader);
    const h = counts.has
      ? componentHundredths(c, { numerator: unsigned(counts.scoredN), denominator: unsigned(counts.scoredD) })
      : null;
    rows.push({
      kpi: c.id,
      scope_kind,
      scope_code,
      period_kind,
      period_start,
      numerator: unsigned(counts.n),
      denominator: unsigned(counts.d),
      score_override: h === null ? null : h / 100,
      max_score_override: c.points,
      reason: !counts.has ? MISSING_REASON[c.source] : h === null ? 'zero_denominator' : '',
      scope_rows: scopeRows,
    });
    if (!counts.has) continue;
    const group = groups.get(c.group) ?? { earned: 0, available: 0 };
    group.earned += h ?? 0;
    group.available += c.points;
    groups.set(c.group, group);
    total.earned += h ?? 0;
    total.available += c.points;
  }
  const groupRow = (kpi: string, { earned, available }: { earned: number; available: number }) => {
    rows.push({
      kpi,
      scope_kind,
      scope_code,
      period_kind,
      period_start,
      numerator: earned,
      denominator: available * 100,
      score_override: earned / 100,
      max_score_override: available,
      reason: '',
      scope_rows: scopeRows,
    });
  };
  for (const g of GROUP_ROWS) groupRow(g.kpi, groups.get(g.id) ?? { earned: 0, available: 0 });
  groupRow(TOTAL_KPI, total);
  return rows;
}

/** A row's value as the write compares it with kpi_current_v1's (numbers, score, maximum, reason). */
const sameValue = (a: ValueRow, b: ValueRow) =>
  a.kpi === b.kpi &&
  a.numerator === b.numerator &&
  a.denominator === b.denominator &&
  a.score_override === b.score_override &&
  a.max_score_override === b.max_score_override &&
  a.reason === b.reason;

/** The sums, figures and (when read) common elements the previous generation's values of a scope were scored from. */
export type PreviousInputs = Pick<ScopeInputs, 'sums' | 'figures' | 'catalog_size'> & {
  /** INDEX766_COMMONS' counts of its sets; needed only when sets moved. */
  commons?: number[];
};

/**
 * The rows of one (period, scope) whose stored value may change, given `before`: the inputs the previous
 * generation's values of that scope were scored from (index766-running.ts). Those values are what
 * kpi_current_v1 holds for it: a row equal to its previous one would be compared and not written. Every
 * row when there is no `before`, or when it had no source row (scope_rows 0: its keys may never have been
 * written, and the write writes a new key with rows).
 *
 * `known`: the rows are exactly those whose stored value differs (the write would write each of them), so
 * they may be written without comparing. That is so when the previous values are known whole: `before`'s
 * common elements are given, or no set moved (`setsMoved` false: they are `inputs`' own). Else (sets moved,
 * `before`'s commons not read) they lie between none and `inputs`': the running path only adds procedures
 * to the sets the dossiers fill (a procedure leaving one reads every scope anew), and every score grows with
 * its common elements, so a row the same with none as with `inputs`' was the same with `before`'s; the
 * others are kept, to be compared.
 */
export function changedValueRows(
  inputs: ScopeInputs,
  before: PreviousInputs | undefined,
  setsMoved: boolean,
): { rows: ValueRow[]; known: boolean } {
  const rows = index766ValueRows(inputs);
  if (!before) return { rows, known: false };
  const commons = setsMoved ? before.commons : inputs.commons;
  const old = {
    ...inputs,
    sums: before.sums,
    figures: before.figures,
    catalog_size: before.catalog_size,
    commons: commons ?? inputs.commons,
  };
  const was = index766ValueRows(old);
  if (was.length !== rows.length || was.some((w) => w.scope_rows === 0)) return { rows, known: false };
  if (commons) return { rows: rows.filter((r, i) => !sameValue(r, was[i]!)), known: true };
  const none = index766ValueRows({ ...old, commons: old.commons.map(() => 0) });
  return {
    rows: rows.filter((r, i) => !sameValue(r, was[i]!) || !sameValue(was[i]!, none[i]!)),
    known: false,
  };
}
