import { randomUUID } from 'node:crypto';
import type { Generation, LiveChain } from '../generation-log.ts';
import { scopeInputs } from '../index766-running.ts';
import { PERIOD_KINDS } from '../periods.ts';
import type { CellLayout } from '../sql/cells.sql.ts';
import { CATALOG_CHANGED_SQL, EXTERNAL_LOADED_SQL } from '../sql/run-periods.sql.ts';
import type { Statements } from '../statements.ts';
import { shiftMs } from '../utc.ts';
import { listPeriodParts, periodParts } from './period-chunks.ts';
import { RUNNING_PERIODS_SQL } from './running-deltas.ts';
import {
  CHAIN_MARKERS_SQL,
  chainOf,
  chainRowsSql,
  INPUT_COLUMNS,
  type MarkerRow,
  periodKey,
} from './stored-inputs.ts';

// verifyKpiState's check of the Decision 766 running inputs (kpi_index766_scope_inputs_v1) the next cycle
// would start from: each scope's stored row, through the chain of tags, against the inputs read anew.

export interface Index766InputsCheck {
  /** Scopes (period × scope) compared; 0 when the next cycle would not start from stored inputs. */
  checked: number;
  /** Scopes whose stored inputs differ from those read anew, or that only one side has. */
  differing: number;
}

/**
 * One scope row's inputs as a hash of the stored columns' types: sets and figures sorted (the engine
 * gathers them in no set order), sums and catalog size as they are.
 */
const INPUT_ROW = `toString(period_kind) AS kind, toString(period_start) AS start, toString(scope_kind) AS sk,
      toString(scope_code) AS sc, cityHash64(CAST(sums AS Array(Int64)),
        arrayMap(s -> arraySort(s), CAST(sets AS Array(Array(String)))),
        arraySort(CAST(figures AS Array(Tuple(String, UInt64, UInt64)))), toUInt64(catalog_size)) AS h`;

/**
 * How many scopes of the periods {running_kinds}/{running_starts} the chain {input_tags} stores and how
 * many differ from `anew` (rows of the stored columns): a scope differs when its rows on the two sides
 * hash differently, or one side has none.
 */
export function verifyIndex766InputsSql(anew: string): string {
  const stored = chainRowsSql(
    INPUT_COLUMNS.join(', '),
    `(period_kind, period_start) IN ${RUNNING_PERIODS_SQL}`,
  );
  return `
SELECT count() AS checked, countIf(differs) AS differing
FROM
(
  SELECT kind, start, sk, sc, max(s != 0) AS differs
  FROM
  (
    SELECT kind, start, sk, sc, h, sum(side) AS s
    FROM
    (
      SELECT ${INPUT_ROW}, 1 AS side FROM (${anew})
      UNION ALL
      SELECT ${INPUT_ROW}, -1 AS side FROM (${stored})
    )
    GROUP BY kind, start, sk, sc, h
  )
  GROUP BY kind, start, sk, sc
)`;
}

/**
 * The committed generation's stored Decision 766 inputs against the same inputs read anew at its instant
 * (index766-running.ts scopeInputs, from its cells, live cells, catalog and figures), when the next cycle
 * could start from them: its live cells are ready to be started from (`ready`), its periods' markers make
 * a chain of this code's inputs (chainOf), and no catalog row or figure was loaded since its window
 * (`graceMs` before its end, as a cycle looks), which would make that cycle read them anew. Writes only
 * the periods to read as scratch rows (kpi_run_periods_v1, which expire).
 */
export async function verifyIndex766Inputs(
  sql: Statements,
  committed: Generation,
  live: LiveChain,
  layout: CellLayout,
  at: { now: string; day_floor: string },
  graceMs: number,
  /** Statements the check may be cut into, by period (period-chunks.ts periodParts). */
  parts = 1,
): Promise<Index766InputsCheck> {
  const none = { checked: 0, differing: 0 };
  const markers = await sql.rows<MarkerRow>(CHAIN_MARKERS_SQL, { previous_live_id: committed.live_id });
  const own = markers.filter((m) => m.tag === committed.live_id);
  const kinds = PERIOD_KINDS.filter((k) => own.some((m) => m.period_kind === k));
  if (kinds.length === 0) return none;
  const inputs = scopeInputs(kinds, layout);
  const wanted = new Set(own.map((m) => periodKey(m.period_kind, m.period_start)));
  const chain = chainOf(markers, committed.live_id, wanted, inputs.code);
  if (!chain) return none;
  const [loaded] = await sql.rows<{ n: string | number }>(
    `SELECT (SELECT n FROM (${CATALOG_CHANGED_SQL})) + (SELECT n FROM (${EXTERNAL_LOADED_SQL})) AS n`,
    { from: shiftMs(committed.window_to, -graceMs), to: await sql.serverNow() },
  );
  if (Number(loaded?.n ?? 1) > 0) return none;
  const check = { checked: 0, differing: 0 };
  // Under a small cap, in parts of the periods, each listed under a run id of its own (period-chunks.ts).
  const base = `${committed.live_id}:verify-index766:${randomUUID()}`;
  const rows = own.map((m) => ({ period_kind: m.period_kind, period_start: m.period_start, purposes: [] }));
  const cut = periodParts(rows, parts);
  const runs = await listPeriodParts(sql, base, cut);
  for (const [i, part] of cut.entries()) {
    const [row] = await sql.rows<{ checked: string | number; differing: string | number }>(
      verifyIndex766InputsSql(inputs.select),
      {
        ...at,
        run_id: runs[i],
        live_base: live.base,
        live_links: live.links,
        input_tags: chain.tags,
        running_kinds: part.map((m) => m.period_kind),
        running_starts: part.map((m) => m.period_start),
      },
      'verify index766 running inputs',
    );
    check.checked += Number(row?.checked ?? 0);
    check.differing += Number(row?.differing ?? 0);
  }
  return check;
}
