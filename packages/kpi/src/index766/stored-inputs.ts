import type { StatementParams, Statements } from '../statements.ts';
import type { ScopeInputs } from './value-rows.ts';

// kpi_index766_scope_inputs_v1 (migrations 0243, 0247, 0260): the Decision 766 inputs per running period
// and scope under the live id of the generation they stand at (index766-running.ts), and the chains of
// tags a scope's row is looked up through.

const MARKER = '';
/**
 * The scope_code of the markers of a tag that holds no row (storeChainedMarkers: a generation where no
 * scope moved). Such a tag is left out of the chains that stand on it: looking it up finds nothing, and it
 * does not bring the chain nearer to the length at which every scope is written again.
 */
const ROWLESS = 'rowless';

export const INPUT_COLUMNS = [
  'period_kind',
  'period_start',
  'scope_kind',
  'scope_code',
  'sums',
  'sets',
  'figures',
  'catalog_size',
] as const;
const TAG_VALID = 'created_at > now() - INTERVAL 4 HOUR';
/**
 * When a generation writes every scope again: once the chain holds `tags` tags, or its full tag is
 * `baseAgeS` seconds old (markers are trusted 4 hours).
 */
export interface ChainLimits {
  tags: number;
  baseAgeS: number;
}
export const CHAIN_LIMITS: Readonly<ChainLimits> = Object.freeze({ tags: 30, baseAgeS: 2 * 3_600 });

/**
 * The markers of the chain below {previous_live_id}: its own, then those of the tags its markers list as
 * `ancestors` (0260), read by key (the table is ordered by tag) rather than every marker of 4 hours.
 * Markers written before 0260 list none: a chain through them is broken, so read anew, once.
 */
export const CHAIN_MARKERS_SQL = `
SELECT tag, toString(period_kind) AS period_kind, toString(period_start) AS period_start, code, parent,
  toUInt32(greatest(dateDiff('second', created_at, now()), 0)) AS age, toUInt8(scope_code = '${ROWLESS}') AS rowless
FROM kpi_index766_scope_inputs_v1
WHERE tag IN (SELECT arrayJoin(arrayPushFront(ancestors, tag)) FROM kpi_index766_scope_inputs_v1
    WHERE tag = {previous_live_id:String} AND scope_kind = '' AND ${TAG_VALID})
  AND scope_kind = '' AND ${TAG_VALID}`;

export interface PeriodRow {
  period_kind: string;
  period_start: string;
  purposes: string[];
}

export interface MarkerRow {
  tag: string;
  period_kind: string;
  period_start: string;
  code: string;
  parent: string;
  age: string | number;
  /** 1: the tag holds no row of its own (its markers only). */
  rowless?: string | number;
}

/**
 * The tags a scope's stored inputs are looked up through, nearest first (those holding rows: a tag of
 * markers only is passed through, not listed); `rebase`: write every scope.
 */
export interface Chain {
  tags: string[];
  rebase: boolean;
}

/** A row of running-deltas.ts scoringInputsSql. */
export interface ScoringRow {
  period_kind: string;
  period_start: string;
  scope_kind: string;
  scope_code: string;
  sums: (string | number)[];
  sizes: (string | number)[];
  commons: (string | number)[];
  figures: [string, string | number, string | number][];
  catalog_size: string | number;
}

export const periodKey = (kind: string, start: string) => `${kind}|${start}`;

/**
 * Each scope's row under the nearest tag of the chain {input_tags} (nearest first) among the scopes
 * `where` names: the one lookup both reading a chain and copying it under a new full tag use.
 */
export function chainRowsSql(select: string, where: string): string {
  return `SELECT ${select}
      FROM kpi_index766_scope_inputs_v1
      WHERE tag IN {input_tags:Array(String)} AND scope_kind != '' AND ${where}
      ORDER BY indexOf({input_tags:Array(String)}, tag)
      LIMIT 1 BY period_kind, period_start, scope_kind, scope_code`;
}

/**
 * The chain of tags from `start` down to one holding every scope, each with a marker of `code` for every
 * period in `wanted` and the same parent for all of them; undefined when broken (a tag without its
 * markers, too old, or of another code: its rows are not a starting point).
 */
export function chainOf(
  markers: readonly MarkerRow[],
  start: string,
  wanted: ReadonlySet<string>,
  code: string,
  limits: ChainLimits = CHAIN_LIMITS,
): Chain | undefined {
  const byTag = new Map<string, Map<string, MarkerRow>>();
  for (const m of markers) {
    const of = byTag.get(m.tag) ?? new Map<string, MarkerRow>();
    of.set(periodKey(m.period_kind, m.period_start), m);
    byTag.set(m.tag, of);
  }
  const tags: string[] = [];
  const walked: string[] = [];
  for (let tag = start; ; ) {
    const of = byTag.get(tag);
    const own = [...wanted].map((key) => of?.get(key));
    if (own.some((m) => m === undefined || m.code !== code)) return undefined;
    const parents = new Set(own.map((m) => m!.parent));
    const [parent] = parents;
    if (parents.size !== 1 || parent === undefined) return undefined;
    walked.push(tag);
    if (parent === '' || !own.every((m) => Number(m!.rowless ?? 0) === 1)) tags.push(tag);
    if (parent === '') {
      const age = Math.max(...own.map((m) => Number(m!.age)));
      return { tags, rebase: tags.length >= limits.tags || age > limits.baseAgeS };
    }
    if (walked.includes(parent) || walked.length > 2 * limits.tags) return undefined;
    tag = parent;
  }
}

/**
 * Each period's marker of the generation's inputs, whose rows are stored under its live id already
 * (running-deltas.ts nextInputsSql, or every scope read anew): computed from a chain, nextInputsSql wrote
 * the markers with the rows (parent the previous live id); when the chain is due to start again, the
 * unmoved scopes are copied from the chain first, and then, as for inputs read anew, markers of no parent.
 */
export async function storeMarkers(
  sql: Statements,
  tag: string,
  periods: readonly PeriodRow[],
  code: string,
  previous:
    | {
        from: string;
        chain: Chain;
        /** The scopes stored under `tag` (index766KeysSql), as a condition on their columns. */
        keys: string;
        /** The run's parameters the keys read ({run_id}, {day_floor}). */
        params: StatementParams;
      }
    | undefined,
): Promise<void> {
  const began = performance.now();
  const rebase = previous?.chain.rebase ?? false;
  const stored = () => sql.trace?.('index766 running: store inputs', performance.now() - began);
  // Chained (not rebasing), the moved rows and the markers are written by nextInputsSql in one insert.
  if (previous && !rebase) return stored();
  // Rebasing, the moved rows (nextInputsSql), the unmoved ones copied, then the markers, standing on no
  // tag; read anew, the rows first (scopeInputs), then the markers. One insert is ordered, not atomic: a
  // crash can leave rows without markers, never markers without rows, and no tag is read unless its
  // generation was committed, which is what makes a crash safe. With replicas
  // (docker-compose.cluster.yml) every service reads and writes the same server, so these reads see every
  // insert before them. After a failover to a replica that lagged, parts may be missing in any order (a
  // rebase's three inserts are three parts), yet a missing row is never replaced by an older one: a
  // chained tag's moved rows and markers are one part (nextInputsSql, one block), and a rebased or
  // read-anew tag ends its chain, so a scope without its row there has no older tag to be read from.
  if (previous && rebase) {
    await sql.command(
      `INSERT INTO kpi_index766_scope_inputs_v1 (tag, ${INPUT_COLUMNS.join(', ')})
      ${chainRowsSql(`{live_id:String}, ${INPUT_COLUMNS.join(', ')}`, `NOT ${previous.keys}`)}`,
      { ...previous.params, live_id: tag, input_tags: previous.chain.tags },
      { label: 'index766 running: copy unmoved inputs' },
    );
  }
  await insertMarkers(sql, tag, periods, code, '', []);
  stored();
}

/**
 * The markers of a generation none of whose scopes moved (index766-running.ts): no row of its own (ROWLESS),
 * its parent the nearest tag holding rows (`tags`' first), so that its scopes are read through the chain
 * `tags` holds, as nextInputsSql writes them for a generation that stores the scopes it moved.
 */
export async function storeChainedMarkers(
  sql: Statements,
  tag: string,
  periods: readonly PeriodRow[],
  code: string,
  tags: readonly string[],
): Promise<void> {
  const began = performance.now();
  await insertMarkers(sql, tag, periods, code, tags[0]!, tags, ROWLESS);
  sql.trace?.('index766 running: store inputs', performance.now() - began);
}

/**
 * The markers of a generation that stored some scopes of its periods (those it recomputed, read anew) and
 * stands on the chain `tags` for the others, as nextInputsSql writes them for the scopes it moved: parent
 * the nearest tag holding rows, ancestors every tag of the chain.
 */
export async function storeMarkersOnChain(
  sql: Statements,
  tag: string,
  periods: readonly PeriodRow[],
  code: string,
  tags: readonly string[],
): Promise<void> {
  await insertMarkers(sql, tag, periods, code, tags[0]!, tags);
}

/** Each period's marker row of `tag`, standing on `parent` (its chain `ancestors`; '' and none: on no tag). */
async function insertMarkers(
  sql: Statements,
  tag: string,
  periods: readonly PeriodRow[],
  code: string,
  parent: string,
  ancestors: readonly string[],
  scopeCode = '',
): Promise<void> {
  await sql.clickhouse.insert({
    table: 'kpi_index766_scope_inputs_v1',
    values: periods.map((p) => [
      tag,
      p.period_kind,
      p.period_start,
      MARKER,
      scopeCode,
      [],
      [],
      [],
      0,
      code,
      parent,
      ancestors,
    ]),
    columns: ['tag', ...INPUT_COLUMNS, 'code', 'parent', 'ancestors'],
    format: 'JSONCompactEachRow',
  });
}

export function toInputs(rows: readonly ScoringRow[]): ScopeInputs[] {
  return rows.map((r) => ({
    period_kind: r.period_kind,
    period_start: r.period_start,
    scope_kind: r.scope_kind,
    scope_code: r.scope_code,
    sums: r.sums.map(Number),
    sizes: r.sizes.map(Number),
    commons: r.commons.map(Number),
    figures: r.figures.map((f) => [f[0], Number(f[1]), Number(f[2])]),
    catalog_size: Number(r.catalog_size),
  }));
}
