import type { ClickHouse } from '@dossier/clickhouse';
import { VERIFY_AT_RISK_OPEN_SQL } from './at-risk/at-risk.sql.ts';
import { dossierCellLayout } from './cell-layout.ts';
import { liveChainOf, readGenerationLog } from './generation-log.ts';
import { verifyIndex766Inputs } from './index766/verify-inputs.ts';
import { PERIOD_KINDS, type PeriodKind } from './periods.ts';
import { cellShardsFor, statementCap } from './rebuild-steps.ts';
import { PREVIOUS_LIVE_READY_SQL } from './sql/crossed.sql.ts';
import { verifyLiveScopesSql } from './sql/live-scopes.sql.ts';
import {
  VERIFY_OPEN_FACTS_SQL,
  verifyCellsSql,
  verifyLiveCellsSql,
  verifyScopesSql,
  verifyStoredLiveCellsSql,
} from './sql/verify.sql.ts';
import { type Statements, statements } from './statements.ts';
import { dayFloor, maxString } from './utc.ts';

export interface KpiStateCheck {
  /** Every count below is zero: the incremental state equals its recomputation. */
  exact: boolean;
  /** The committed generation checked (undefined: nothing computed yet). */
  generation?: number;
  judgedAt?: string;
  /** Cells per period kind that differ from a recomputation from the facts. */
  cellsDiffering: Record<PeriodKind, number>;
  /** Dossiers whose open facts differ from the facts open at the judged instant. */
  openFactsDiffering: number;
  /** Dossiers whose at-risk list row (dossiers_at_risk_open_v2) differs from their open facts. */
  atRiskDiffering: number;
  /** Running-period cells per kind where the open dossiers' one-pass rows differ from their own kind's. */
  liveCellsDiffering: Record<PeriodKind, number>;
  /**
   * Running-period cells per kind where the live cells the generation recorded (kpi_cycles_v1.live_id,
   * which crossing-only cycles start from) differ from the open dossiers judged at its instant; 0 for
   * kinds it did not compute, when it recorded none, or when they are too old to be started from.
   */
  storedLiveDiffering: Record<PeriodKind, number>;
  /**
   * Scopes where the sums per scope stored with the recorded live cells' base (which the dossier values
   * read instead of its cells: cells.sql.ts stageLiveScopesSql) differ from those cells; 0 when it stored
   * none, or when they are too old to be started from.
   */
  liveScopesDiffering: number;
  /** Scope rows that differ from the cells summed per scope. */
  scopeRowsDiffering: { cells: number; procedures: number };
  /**
   * The Decision 766 running inputs the generation stored (kpi_index766_scope_inputs_v1), which the next
   * cycle would start from, against the same inputs read anew at its instant: scopes compared (0 when
   * no cycle would start from them: index766/verify-inputs.ts) and scopes that differ.
   */
  index766Inputs: { checked: number; differing: number };
}

type Count = { n: string | number };

/**
 * Checks the incremental state against a recomputation from every dossier's facts at the last committed
 * instant (from the day floor on, days older than the horizon are left as they were): all zeros when
 * increments kept it exact. Reads everything (writing only scratch rows: the 766 inputs' periods), the
 * cells in as many statements as a rebuild's (cellShardsFor): an operator's check, not a cycle step.
 */
export async function verifyKpiState(
  clickhouse: ClickHouse,
  options: {
    dayHorizonDays?: number;
    /** The cycles' grace: catalog rows or figures loaded since then leave the 766 inputs unchecked. */
    graceMs?: number;
  } = {},
): Promise<KpiStateCheck> {
  const { committed } = await readGenerationLog(clickhouse);
  const cellsDiffering = { day: 0, month: 0, quarter: 0, year: 0 };
  const liveCellsDiffering = { ...cellsDiffering };
  const storedLiveDiffering = { ...cellsDiffering };
  if (!committed) {
    return {
      exact: true,
      cellsDiffering,
      openFactsDiffering: 0,
      atRiskDiffering: 0,
      liveCellsDiffering,
      storedLiveDiffering,
      liveScopesDiffering: 0,
      scopeRowsDiffering: { cells: 0, procedures: 0 },
      index766Inputs: { checked: 0, differing: 0 },
    };
  }
  const sql = statements(clickhouse);
  const layout = dossierCellLayout();
  const at = {
    now: committed.judged_at,
    day_floor: maxString(dayFloor(committed.judged_at, options), committed.day_floor),
  };
  // The cells recomputed in as many statements as a rebuild builds them in under this client's cap.
  const shards = cellShardsFor(await statementCap(clickhouse));
  for (const kind of PERIOD_KINDS) {
    for (let shard = 0; shard < shards; shard++) {
      const [row] = await sql.rows<Count>(
        verifyCellsSql(kind, layout, shards > 1),
        shards > 1 ? { ...at, shards, shard } : at,
      );
      cellsDiffering[kind] += Number(row?.n ?? 0);
    }
    const [liveRow] = await sql.rows<Count>(verifyLiveCellsSql(kind, layout), at);
    liveCellsDiffering[kind] = Number(liveRow?.n ?? 0);
  }
  // Live cells near their expiry are not started from (PREVIOUS_LIVE_READY_SQL): nothing to check then.
  const live = liveChainOf(committed);
  const ready =
    live !== undefined &&
    (await sql.exists(PREVIOUS_LIVE_READY_SQL, {
      previous_live_base: live.base,
      previous_live_links: live.links,
    }));
  let liveScopesDiffering = 0;
  let index766Inputs = { checked: 0, differing: 0 };
  if (ready) {
    const [scopes] = await sql.rows<Count>(verifyLiveScopesSql(layout), { live_base: live.base });
    liveScopesDiffering = Number(scopes?.n ?? 0);
    const [computedKinds] = JSON.parse(committed.computed || '[[]]') as [PeriodKind[]];
    for (const kind of computedKinds) {
      const [row] = await sql.rows<Count>(verifyStoredLiveCellsSql(kind, layout), {
        ...at,
        live_base: live.base,
        live_links: live.links,
      });
      storedLiveDiffering[kind] = Number(row?.n ?? 0);
    }
    index766Inputs = await verifyIndex766Inputs(
      sql,
      committed,
      live,
      layout,
      at,
      options.graceMs ?? 0,
      shards,
    );
  }
  const [open] = await sql.rows<Count>(VERIFY_OPEN_FACTS_SQL, { now: committed.judged_at });
  const [atRisk] = await sql.rows<Count>(VERIFY_AT_RISK_OPEN_SQL);
  const scopeRowsDiffering = { cells: 0, procedures: 0 };
  for (const range of shards > 1 ? await periodRanges(sql, shards) : [undefined]) {
    const [scopes] = await sql.rows<{ scope_cells: string | number; scope_procedures: string | number }>(
      verifyScopesSql(layout, range !== undefined),
      range ?? {},
    );
    scopeRowsDiffering.cells += Number(scopes?.scope_cells ?? 0);
    scopeRowsDiffering.procedures += Number(scopes?.scope_procedures ?? 0);
  }
  const openFactsDiffering = Number(open?.n ?? 0);
  const atRiskDiffering = Number(atRisk?.n ?? 0);
  const counts = [
    openFactsDiffering,
    atRiskDiffering,
    ...Object.values(cellsDiffering),
    ...Object.values(liveCellsDiffering),
    ...Object.values(storedLiveDiffering),
    liveScopesDiffering,
    ...Object.values(scopeRowsDiffering),
    index766Inputs.differing,
  ];
  return {
    exact: counts.every((n) => n === 0),
    generation: committed.gen,
    judgedAt: committed.judged_at,
    scopeRowsDiffering,
    cellsDiffering,
    openFactsDiffering,
    atRiskDiffering,
    liveCellsDiffering,
    storedLiveDiffering,
    liveScopesDiffering,
    index766Inputs,
  };
}

/** A range of periods of one kind, [range_from, range_to) (sql/verify.sql.ts PERIOD_RANGE_SQL). */
export interface PeriodRange {
  range_kind: string;
  range_from: string;
  range_to: string;
}

/** Before every Date: the first range of a kind starts here, and the last ends at LAST_DAY. */
const FIRST_DAY = '1970-01-01';
const LAST_DAY = '2149-06-06';

/**
 * Every period of every kind, as ranges of consecutive periods holding about a `parts`-th of the cells
 * each (a range holds one period at least): what the scope rows are checked in under a small cap, each
 * range a statement whose memory follows its cells. The ranges of a kind cover every Date, so a scope
 * row whose period has no cell is still checked.
 */
export async function periodRanges(sql: Statements, parts: number): Promise<PeriodRange[]> {
  const periods = await sql.rows<{ period_kind: string; period_start: string; n: string | number }>(
    `SELECT toString(period_kind) AS period_kind, toString(period_start) AS period_start, count() AS n
     FROM kpi_cells_v1 GROUP BY period_kind, period_start ORDER BY period_kind, period_start`,
  );
  const total = periods.reduce((sum, p) => sum + Number(p.n), 0);
  const perRange = Math.max(1, total / Math.max(1, parts));
  const ranges: PeriodRange[] = [];
  for (const kind of PERIOD_KINDS) {
    const starts = [FIRST_DAY];
    let inRange = 0;
    for (const p of periods.filter((p) => p.period_kind === kind)) {
      const n = Number(p.n);
      if (inRange > 0 && inRange + n > perRange) {
        starts.push(p.period_start);
        inRange = 0;
      }
      inRange += n;
    }
    starts.forEach((from, i) => {
      ranges.push({ range_kind: kind, range_from: from, range_to: starts[i + 1] ?? LAST_DAY });
    });
  }
  return ranges;
}
