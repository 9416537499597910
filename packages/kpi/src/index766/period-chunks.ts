import { PERIOD_KINDS, type PeriodKind } from '../periods.ts';
import { INDEX766_PURPOSES } from '../sql/index766-values.sql.ts';
import { runPeriodPairsSql } from '../sql/run-periods.sql.ts';
import type { StatementParams, Statements } from '../statements.ts';
import type { PeriodRow } from './stored-inputs.ts';

// The Decision 766 statement's memory under a small cap: its sources are summed and its sets gathered per
// (period, scope), and no row of one period meets another's (the catalog's days are shared between periods
// only when their catalogs are equal, catalogSource), so the statement over a list of periods yields the
// rows of the statements over its parts. Its memory follows the periods it reads (a 200k history's three,
// month, quarter and year, took 361 MiB together under a 259 MiB cap), so under a small cap it runs once per
// part of its periods, each part listed under a run id of its own: the statement reads its periods from
// kpi_run_periods_v1 under {run_id}, and its text does not change.

/** The run's Decision 766 periods of `kinds`, each with its purposes. */
export function readIndex766Periods(
  sql: Statements,
  kinds: readonly PeriodKind[],
  params: StatementParams,
): Promise<PeriodRow[]> {
  return sql.rows<PeriodRow>(
    `SELECT toString(period_kind) AS period_kind, toString(period_start) AS period_start,
      groupUniqArray(purpose) AS purposes
    FROM kpi_run_periods_v1 WHERE (period_kind, period_start) IN ${runPeriodPairsSql(kinds, INDEX766_PURPOSES)}
      AND run_id = {run_id:String} AND purpose IN (${INDEX766_PURPOSES.map((p) => `'${p}'`).join(', ')})
    GROUP BY period_kind, period_start`,
    params,
    'index766 running: periods',
  );
}

/**
 * `periods` in kind order (day to year), then by start, cut into at most `parts` runs of consecutive
 * periods whose lengths differ by at most one; fewer when there are fewer periods.
 */
export function periodParts<T extends { period_kind: string; period_start: string }>(
  periods: readonly T[],
  parts: number,
): T[][] {
  const order = (kind: string) => PERIOD_KINDS.indexOf(kind as PeriodKind);
  const sorted = [...periods].sort(
    (a, b) =>
      order(a.period_kind) - order(b.period_kind) ||
      (a.period_start < b.period_start ? -1 : a.period_start > b.period_start ? 1 : 0),
  );
  const n = Math.max(1, Math.min(Math.floor(parts), sorted.length));
  return Array.from({ length: n }, (_, i) =>
    sorted.slice(Math.floor((i * sorted.length) / n), Math.floor(((i + 1) * sorted.length) / n)),
  ).filter((part) => part.length > 0);
}

/**
 * Lists each part of periods (with its purposes; none: 'dossier') in kpi_run_periods_v1 under a run id of
 * its own, `${base}:${i}` (a single part: `base`), and returns those ids: a statement reading its periods
 * under {run_id} reads one part under each. The rows expire with the table's others.
 */
export async function listPeriodParts(
  sql: Statements,
  base: string,
  parts: readonly (readonly PeriodRow[])[],
): Promise<string[]> {
  const ids = parts.length === 1 ? [base] : parts.map((_, i) => `${base}:${i}`);
  const values = parts.flatMap((part, i) =>
    part.flatMap((p) =>
      (p.purposes.length > 0 ? p.purposes : ['dossier']).map((purpose) => ({
        run_id: ids[i],
        period_kind: p.period_kind,
        period_start: p.period_start,
        purpose,
      })),
    ),
  );
  if (values.length > 0) {
    await sql.clickhouse.insert({ table: 'kpi_run_periods_v1', values, format: 'JSONEachRow' });
  }
  return ids;
}

/**
 * The run ids the Decision 766 statement of the run's periods of `kinds` runs under, one statement each:
 * {run_id} itself when `parts` is 1 or less, when the run has a single period, or when one of its periods
 * is only 'touched' (there the statement also reads the run's own staged cells under {run_id}:
 * index766KeysSql); else the run's periods cut into at most `parts` (periodParts), each listed under a
 * run id of its own.
 */
export async function index766PeriodRuns(
  sql: Statements,
  kinds: readonly PeriodKind[],
  params: StatementParams,
  parts: number,
): Promise<string[]> {
  const run = params.run_id ?? '';
  if (!(parts > 1)) return [run];
  const periods = await readIndex766Periods(sql, kinds, params);
  if (periods.length <= 1 || periods.some((p) => p.purposes.includes('touched'))) return [run];
  return listPeriodParts(sql, `${run}:index766`, periodParts(periods, parts));
}
