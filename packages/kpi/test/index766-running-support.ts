// What the tests of the Decision 766 running path (index766-running*.int.test.ts) share: a cycle on the
// city day 2026-03-10 that notes its statements and the columns it read, a generation's stored scope
// rows, the comparison of kpi_latest with the statement's values computed from the same state, and the
// small province the stored inputs' tests start from.
import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { expect } from 'vitest';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { PERIOD_KINDS, runKpiCycle, SCOPE_KINDS } from '../src/index.ts';
import type { ChainLimits } from '../src/index766/stored-inputs.ts';
import { index766ValuesSql } from '../src/sql/index766-values.sql.ts';
import { agency, dossierEvents, insertCatalog, procedure } from './kpi-fixtures.ts';

export const STATEMENT = 'kpi_stage_values_v1 <- index766 month+quarter+year';
export const FROM_INPUTS = 'index766 running: inputs';
export const FROM_PREVIOUS = 'index766 running: previous inputs';
export const DAY = '2026-03-10';

/** The client, noting the columns of every row a query of it returns. */
function noting(client: ClickHouse, columns: Set<string>): ClickHouse {
  const proxy = Object.create(client) as ClickHouse;
  proxy.query = (async (params: Parameters<ClickHouse['query']>[0]) => {
    const result = await client.query(params);
    const json = result.json.bind(result);
    return Object.assign(Object.create(result), {
      json: async () => {
        const rows = (await json()) as Record<string, unknown>[];
        for (const row of rows) for (const column of Object.keys(row)) columns.add(column);
        return rows;
      },
    });
  }) as ClickHouse['query'];
  return proxy;
}

/** The helpers over one store. */
export function runningPath(store: () => ClickHouse) {
  const json = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
    (await store().query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

  /**
   * A cycle at `now` (HH:MM of the city day 2026-03-10, or an instant 'YYYY-MM-DD HH:MM'); `failAfter`: the run dies after that statement; `chain`: when
   * its stored Decision 766 inputs are written whole again. `read`: the columns of the rows the cycle's
   * queries returned.
   */
  async function cycle(now: string, failAfter?: string, chain?: ChainLimits) {
    const labels: string[] = [];
    const read = new Set<string>();
    const runId = randomUUID();
    const at = now.includes('-') ? `${now}:00.000` : `${DAY} ${now}:00.000`;
    const result = await runKpiCycle(noting(store(), read), {
      runId,
      periodKinds: PERIOD_KINDS,
      scopeKinds: SCOPE_KINDS,
      now: at,
      graceMs: 0,
      index766Chain: chain,
      trace: (label) => {
        labels.push(label);
        if (label === failAfter) throw new Error(`stopped after ${label}`);
      },
    });
    return { result, labels, read, runId, now: at };
  }

  /** A generation's stored scope rows and its markers' parents. */
  async function stored(tag: string) {
    const [row] = await json<{ scopes: string; parents: string[] }>(
      `SELECT countIf(scope_kind != '') AS scopes, groupUniqArrayIf(parent, scope_kind = '') AS parents
      FROM kpi_index766_scope_inputs_v1 WHERE tag = {tag:String}`,
      { tag },
    );
    return { scopes: Number(row?.scopes ?? 0), parents: row?.parents ?? [] };
  }

  const KEY = 'kpi, scope_kind, scope_code, period_kind, toString(period_start) AS period_start';
  const VALUE =
    '(numerator, denominator, ifNull(value, -1), ifNull(score, -1), ifNull(max_score, -1), reason)';

  /**
   * Every Decision 766 value of the running periods as the statement computes it from the state the cycle
   * `runId` left (its live cells, the cells, the catalog), every scope recomputed, against kpi_latest.
   */
  async function expectAsTheStatement(run: { runId: string; now: string }) {
    const probe = randomUUID();
    await store().insert({
      table: 'kpi_run_periods_v1',
      values: [
        ['month', '2026-03-01'],
        ['quarter', '2026-01-01'],
        ['year', '2026-01-01'],
      ].map(([period_kind, period_start]) => ({
        run_id: probe,
        period_kind,
        period_start,
        purpose: 'dossier',
      })),
      format: 'JSONEachRow',
    });
    // The run's live cells: its own 'live' rows, or the chain it added its crossed rows to (migration 0251).
    const [chain] = await json<{ live_base: string; live_links: string[] }>(
      `SELECT live_base, live_links FROM kpi_cycles_v1 WHERE state = 'committed' AND live_id = {live_id:String}
      LIMIT 1`,
      { live_id: run.runId },
    );
    const statement = await json<Record<string, unknown>>(
      `SELECT ${KEY}, toUInt64(numerator) AS numerator, toUInt64(denominator) AS denominator,
        if(denominator = 0, NULL, toUInt64(numerator) / toUInt64(denominator)) AS value,
        score_override AS score, max_score_override AS max_score, reason
      FROM (${index766ValuesSql(['month', 'quarter', 'year'], dossierCellLayout())})
      ORDER BY kpi, scope_kind, scope_code, period_kind, period_start`,
      {
        run_id: probe,
        live_base: chain?.live_base || run.runId,
        live_links: chain?.live_links ?? [],
        now: run.now,
        day_floor: '2026-01-01',
        scope_kinds: ['city', 'agency'],
      },
    );
    const latest = await json<Record<string, unknown>>(
      `SELECT ${KEY}, numerator, denominator, value, score, max_score, reason FROM kpi_latest
      WHERE kpi LIKE 'index766%' AND (period_kind, period_start) IN
        (('month', '2026-03-01'), ('quarter', '2026-01-01'), ('year', '2026-01-01'))
      ORDER BY kpi, scope_kind, scope_code, period_kind, period_start`,
    );
    expect(statement.length).toBeGreaterThan(0);
    expect(latest).toEqual(statement);
    // No target, and the run wrote no value its key already held (kpi_values_v1 is a log of changes).
    const [checks] = await json<{ targets: string; rewritten: string }>(
      `SELECT (SELECT count() FROM kpi_latest WHERE kpi LIKE 'index766%'
          AND (target IS NOT NULL OR target_met IS NOT NULL)) AS targets,
        (SELECT count() FROM
          (SELECT ${KEY}, ${VALUE} AS val FROM kpi_values_v1
           WHERE run_id = {run_id:String} AND startsWith(kpi, 'index766')) AS n
          INNER JOIN
          (SELECT ${KEY}, argMax(${VALUE}, computed_at) AS val FROM kpi_values_v1
           WHERE run_id != {run_id:String} AND startsWith(kpi, 'index766')
           GROUP BY kpi, scope_kind, scope_code, period_kind, period_start) AS p
          USING (kpi, scope_kind, scope_code, period_kind, period_start)
          WHERE n.val = p.val) AS rewritten`,
      { run_id: run.runId },
    );
    expect({ targets: Number(checks?.targets), rewritten: Number(checks?.rewritten) }).toEqual({
      targets: 0,
      rewritten: 0,
    });
    return latest;
  }

  return { json, cycle, stored, expectAsTheStatement };
}

/** Inserts dossier events (kpi-fixtures.ts dossierEvents) as the ingestor would. */
export async function insertEvents(
  clickhouse: ClickHouse,
  rows: ReturnType<typeof dossierEvents>,
): Promise<void> {
  await clickhouse.insert({ table: 'dossier_events_v1', values: rows, format: 'JSONEachRow' });
}

/**
 * A province with a commune under it and a district on its own, P-1 at the province and P-2 (fee-bearing)
 * at the district and communes; an open dossier at the commune and one resolved at the district, paid
 * online. The running periods then hold the city and 3 units.
 */
export async function insertSmallProvince(clickhouse: ClickHouse): Promise<void> {
  await insertCatalog(
    clickhouse,
    [
      agency('PROV', 'province'),
      agency('COMM', 'commune', { parent_code: 'PROV' }),
      agency('DIST', 'district'),
    ],
    [
      procedure('P-1', { agency_code: 'PROV', online_class: 'full', admin_levels: ['province'] }),
      procedure('P-2', { agency_code: 'DIST', fee_bearing: 1, admin_levels: ['district', 'commune'] }),
    ],
  );
  await insertEvents(
    clickhouse,
    [
      dossierEvents({
        code: 'OPEN',
        agency: 'COMM',
        procedure: 'P-2',
        received: '2026-03-09 01:00',
        due: '2026-03-12 05:00',
      }),
      dossierEvents({
        code: 'DONE',
        agency: 'DIST',
        procedure: 'P-2',
        received: '2026-03-02 02:00',
        due: '2026-03-05 00:00',
        finished: { at: '2026-03-04 20:00', kind: 'resolved' },
        fee: 10_000,
        paidOnline: 1,
      }),
    ].flat(),
  );
}
