// Synthetic history for bench/aggregate.bench.ts, generated inside ClickHouse (INSERT … SELECT from
// numbers()) so that ten million dossiers take seconds, not a Kafka replay.
import { randomUUID } from 'node:crypto';
import { type ClickHouse, createClickHouse } from '@dossier/clickhouse';
import { statementCap } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';

export const PROCEDURES = 200;
export const AGENCIES = 300;
const SPAN_SECONDS = 5 * 365 * 86_400; // 2021-01-01 … end of 2025
const DAY_MS = 86_400_000;

/**
 * Dossiers Ho Chi Minh City receives in a year (#21): the national portal published 184,513 received in
 * August 2026 for Phú Thọ (≈ 4M inhabitants); the merged city has ≈ 14M, so ≈ 600,000 a month, ≈ 7M a
 * year. At this rate 10M dossiers are about a year and a half of the city, 50M the 2021–2030 programme.
 */
export const CITY_DOSSIERS_PER_YEAR = 7_000_000;

/**
 * The receipts of `count` dossiers at `perYear` (the city's rate by default) ending at `now` (ms): the
 * history's length follows the count, its monthly volume does not.
 */
export function cityHistory(
  count: number,
  now: number,
  perYear = CITY_DOSSIERS_PER_YEAR,
): { startAt: string; spanSeconds: number } {
  const spanSeconds = Math.max(1, Math.round(((count / perYear) * 365 * DAY_MS) / 1000));
  return { startAt: formatUtc(now - spanSeconds * 1000), spanSeconds };
}

/**
 * Days before `now` whose receipts keep a stuck tail: every 20th dossier received in them never finishes
 * (5% of the last 90 days' receipts, ≈ 86,000 at the city's rate). A share of recent volume, not of all
 * history (#21), so the open set follows the city's flow whatever the history's length (5% of all
 * history kept 2.67M open at 50M against 535,000 at 10M). The share and window are a choice, not a
 * measured figure: the same dossiers as before stay stuck in the last quarter (its periods' open share
 * unchanged), and 5% of a quarter errs high (more open dossiers: more work per cycle, not less).
 */
export const STUCK_DAYS = 90;

export async function insertCatalog(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.command({
    query: `INSERT INTO agencies_v1 (agency_code, name, admin_level, parent_code, valid_from, valid_to, version)
      SELECT concat('AG', toString(number)), concat('Agency ', toString(number)),
        ['province', 'district', 'commune'][number % 3 + 1], NULL, toDate('2020-01-01'), NULL, 1
      FROM numbers({n:UInt32})`,
    query_params: { n: AGENCIES },
  });
  await clickhouse.command({
    query: `INSERT INTO procedures_v1 (procedure_code, name, field_code, agency_code, admin_levels, online_eligible,
        online_class, full_process_eligible, fee_bearing, online_payment, dvcqg_integrated,
        max_processing_working_days, valid_from, valid_to, version)
      SELECT concat('PR', toString(number)), concat('Procedure ', toString(number)),
        ['G13-TN02', 'G01-CA05', 'G17-XD08', 'G05-KD03', 'G09-LD02'][number % 5 + 1],
        concat('AG', toString(number % 30)), [['province'], ['district', 'commune']][number % 2 + 1],
        number % 10 != 0, ['none', 'partial', 'full'][number % 3 + 1], number % 2, number % 4 = 0, number % 8 = 0,
        number % 3 != 0, if(number % 7 = 0, NULL, 5 + number % 10), toDate('2020-01-01'), NULL, 1
      FROM numbers({n:UInt32})`,
    query_params: { n: PROCEDURES },
  });
}

/** Dossiers per INSERT … SELECT: a slice is about 26 days of receipts at the city's rate (a month's
 * partition or two), so each statement writes few partitions and its memory does not grow with the
 * history generated. */
export const SLICE_DOSSIERS = 500_000;

/**
 * State rows per block (so per part) of a staging table. A block of state rows is squashed in memory with
 * its aggregate states: with two writers at once, blocks of a whole 500,000-row slice held 3.1 GB in the
 * statements (system.processes, 2M dossiers), blocks of 125,000 1.9 GB; the staging tables merge the parts.
 */
export const STATE_BLOCK_ROWS = 125_000;
/** What a state row takes in a writer's insert blocks, rounded up (1.9 GB for two writers' 125,000 above). */
export const STATE_ROW_BYTES = 8_000;

/**
 * State rows per block under a statement memory cap of `cap` bytes (0: none) shared by `writers` writing at
 * once: each writer's blocks take at most half its part of the cap (the block is squashed beside what the
 * statement reads and the parts it writes), at most STATE_BLOCK_ROWS (the default budget's cap holds
 * ~85,000 per writer), at least a granule. A fixed 125,000 failed the 10M generator under a 1 GiB budget;
 * blocks of the whole part (90,000 rows for one writer under 1 GiB) failed a 200k history there (694 MiB
 * of a 691 MiB cap).
 */
export function stateBlockRows(cap: number, writers: number): number {
  if (!(cap > 0)) return STATE_BLOCK_ROWS;
  const fit = Math.floor(cap / 2 / Math.max(1, writers) / STATE_ROW_BYTES);
  return Math.min(STATE_BLOCK_ROWS, Math.max(8_192, fit));
}

/** Slices written at once: each statement runs mostly on one thread, so two keep this machine's two
 * cores busy; the generator's memory is that of two slices whatever the history's length. */
export const PARALLEL_SLICES = 2;

/**
 * `count` dossiers numbered from `first`, received evenly over `spanSeconds` from `startAt`
 * (default: the five years 2021–2025; {@link cityHistory} gives the city's rate ending now): a `received`
 * event each and a `resolved` event 1–12 days later if that moment has passed (due after 7–11 days, so
 * some are late), except for every 20th received since `stuckSince`, which never finishes; every 20th
 * had one supplement round of 2 days. Written in slices of {@link SLICE_DOSSIERS}, {@link PARALLEL_SLICES} at
 * a time, both events of a dossier in one statement, through the same materialized views as ingested
 * data except the dossier state's, whose rows are written directly as it would fold them (into a
 * staging table per writer, each merged into one part and attached at the end: {@link STATES_STAGING});
 * `onSlice` hears after each. The writers run at once only on clients of their own (`writers`): the
 * embedded engine runs one statement at a time per client, and chDB's bound statements queue
 * process-wide, so {@link openWriters}' clients bind values on their own sessions (`sessionParams`).
 * Every value is a function of the dossier's number and the options (`now` included: the moment of the
 * call by default), so equal options write equal data, in any order of the slices.
 */
export async function insertDossiers(
  clickhouse: ClickHouse,
  options: {
    first: number;
    count: number;
    startAt?: string;
    spanSeconds?: number;
    prefix?: string;
    /** The instant the data is generated at: later receipts and finishes do not exist yet. */
    now?: string;
    /**
     * From this receipt instant on, every 20th dossier never finishes (default {@link STUCK_DAYS} before
     * `now`; `startAt` keeps 5% of all history open, as before #21).
     */
    stuckSince?: string;
    /** Slices written at once (default {@link PARALLEL_SLICES}). */
    parallel?: number;
    /**
     * Clients of the same store, one per writer ({@link openWriters}); their count replaces `parallel`.
     * Without them the writers share `clickhouse` and, on the embedded engine, take turns.
     */
    writers?: ClickHouse[];
    /** Dossiers per slice (default {@link SLICE_DOSSIERS}). */
    sliceDossiers?: number;
    onSlice?: (written: number) => void;
  },
): Promise<number> {
  // One instant for every statement, so events and states agree on which dossiers have finished.
  const now = options.now ?? formatUtc(Date.now());
  const stuckSince =
    options.stuckSince ?? formatUtc(Date.parse(`${now.replace(' ', 'T')}Z`) - STUCK_DAYS * DAY_MS);
  const slices: Record<string, unknown>[] = [];
  const sliceDossiers = options.sliceDossiers ?? SLICE_DOSSIERS;
  for (let from = 0; from < options.count; from += sliceDossiers) {
    slices.push({
      first: options.first,
      count: options.count,
      slice_first: options.first + from,
      slice_count: Math.min(sliceDossiers, options.count - from),
      start_at: options.startAt ?? '2021-01-01 00:00:00.000',
      span: options.spanSeconds ?? SPAN_SECONDS,
      prefix: options.prefix ?? 'B',
      now_at: now,
      stuck_since: stuckSince,
    });
  }
  // The dossier-state view folds ~25 argMax states per event through a GROUP BY, 88% of the generator's
  // CPU; the state rows are written here directly, one per dossier, as that view would fold them.
  const clients = options.writers?.length
    ? options.writers
    : Array.from<ClickHouse>({ length: options.parallel ?? PARALLEL_SLICES }).fill(clickhouse);
  const writers = Math.max(1, Math.min(clients.length, slices.length));
  const id = randomUUID().replaceAll('-', '');
  const blockRows = stateBlockRows(await statementCap(clickhouse), writers);
  // One staging table per writer, so that their final merges run at once too.
  const staging = Array.from({ length: writers }, (_, w) => `${STATES_STAGING}_${id}_${w}`);
  const clientOf = (w: number) => clients[w] ?? clickhouse;
  await clickhouse.command({ query: 'DETACH TABLE dossier_state_mv_v1' });
  try {
    for (const table of staging) {
      await clickhouse.command({
        query: `CREATE TABLE ${table} AS dossier_state_v1 ENGINE = MergeTree ORDER BY dossier_code`,
      });
    }
    let written = 0;
    let next = 0;
    const writeSlices = async (table: string, w: number) => {
      const client = clientOf(w);
      for (let params = slices[next++]; params; params = slices[next++]) {
        await client.command({
          query: EVENTS_INSERT,
          query_params: params,
          clickhouse_settings: GENERATOR_SETTINGS,
        });
        await client.command({
          query: statesInsert(table),
          query_params: params,
          clickhouse_settings: {
            ...GENERATOR_SETTINGS,
            // Parts of stateBlockRows, from one thread: the writers are the parallelism.
            min_insert_block_size_rows: String(blockRows),
            min_insert_block_size_bytes: '0',
            max_insert_threads: '1',
            max_threads: 1,
          },
        });
        written += Number(params.slice_count);
        options.onSlice?.(written);
      }
    };
    const settled = await Promise.allSettled(staging.map((table, w) => writeSlices(table, w)));
    // allSettled: no writer may still be writing once the view is attached again.
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Each staging table merged into one part (vertically: a plain MergeTree's merge reads a column at a
    // time), the tables at once; allSettled again, as they are dropped next.
    const merged = await Promise.allSettled(
      staging.map((table, w) =>
        clientOf(w).command({
          query: `OPTIMIZE TABLE ${table} FINAL`,
          clickhouse_settings: { optimize_skip_merged_partitions: 1 },
        }),
      ),
    );
    const notMerged = merged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (notMerged) throw notMerged.reason;
    for (const table of staging) {
      await clickhouse.command({
        query: `ALTER TABLE dossier_state_v1 ATTACH PARTITION tuple() FROM ${table}`,
      });
    }
  } finally {
    for (const table of staging) await clickhouse.command({ query: `DROP TABLE IF EXISTS ${table} SYNC` });
    await clickhouse.command({ query: 'ATTACH TABLE dossier_state_mv_v1' });
  }
  return options.count;
}

/**
 * `count` clients of the store at `url` for {@link insertDossiers}' writers, each a connection (on the
 * embedded engine a session binding its values itself) of its own, with the statement settings of
 * `settings` (the memory budget's); the caller closes them.
 */
export async function openWriters(
  url: string,
  settings: Record<string, number>,
  count = PARALLEL_SLICES,
): Promise<ClickHouse[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      createClickHouse({ url, application: 'bench-writer', settings, sessionParams: true }),
    ),
  );
}

/**
 * Name prefix of the generator's own tables for the state rows while it writes them (plain MergeTree,
 * dossier_state_v1's columns and key; a random suffix per call, dropped at the end, left behind only by
 * a killed run). dossier_state_v1's own merges fold every aggregate state of every row again: merging
 * 1M rows from 6 parts cost 22.9 CPU-s there against 2.1 in a plain MergeTree (load 15–20), and as an
 * aggregating table it merges horizontally, holding each column's buffers of every part in the merge
 * at once (484 MB for those 6 parts), so its merges grew the generator's memory with the history. The
 * rows are unique by construction, so the plain table's merges cannot change one: merged there into one
 * part per writer and attached, the state table receives each row once, in parts too large for its
 * merge selector to pick soon.
 */
export const STATES_STAGING = 'bench_dossier_state_staging';

const SOURCE = `SELECT number AS n,
    concat({prefix:String}, '-', toString(n)) AS code,
    {start_at:DateTime64(3, 'UTC')} + toIntervalSecond(intDiv((n - {first:UInt64}) * {span:UInt64}, {count:UInt64})) AS received,
    received + toIntervalHour(24 * (1 + n % 12) + n % 7) AS finished,
    received + toIntervalDay(7 + n % 5) AS due,
    n % 20 = 0 AS with_supplement,
    NOT (n % 20 = 7 AND received >= {stuck_since:DateTime64(3, 'UTC')}) AND finished <= {now_at:DateTime64(3, 'UTC')} AS finishes
  FROM numbers({slice_first:UInt64}, {slice_count:UInt64})`;

// Generated rows carry no deduplication token and are unique by construction, so the replacing or
// aggregating merge ClickHouse runs on each insert block cannot change one (optimize_on_insert=0 skips
// it: 40% of the generator's CPU); smaller insert blocks bound each statement's memory.
const GENERATOR_SETTINGS: Parameters<ClickHouse['command']>[0]['clickhouse_settings'] = {
  insert_deduplicate: 0,
  optimize_on_insert: 0,
  min_insert_block_size_rows: '262144',
  max_insert_threads: '2',
};

const COLUMNS = `event_id, dialect, source, kind, dossier_code, agency_code, procedure_code, occurred_at, version,
  channel, submitted_at, received_at, due_at, finished_at, finish_kind, fee_vnd, paid_online,
  supplement_requested_at, supplement_received_at, components_digitized, result_digitized, rating_satisfied,
  source_topic, source_partition, source_offset`;

// k = 0: the `received` event; k = 1: the `resolved` one. Every 20th since stuck_since never finishes; the
// others finish 1–12 days after receipt, once that moment has come (the ingestor refuses facts from the
// future): the latest dossiers are still open.
const EVENTS_INSERT = `INSERT INTO dossier_events_v1 (${COLUMNS})
  SELECT if(k = 0, 'r:', 'f:') || code, 'canonical', 'bench', if(k = 0, 'received', 'resolved'), code,
    concat('AG', toString(n % ${AGENCIES})), concat('PR', toString(intHash32(n) % ${PROCEDURES})),
    if(k = 0, received, finished), toUInt64(toUnixTimestamp64Milli(if(k = 0, received, finished))),
    if(k = 0, if(n % 3 = 0, 'direct', 'online'), NULL), if(k = 0, received, NULL), if(k = 0, received, NULL),
    if(k = 0, due, NULL), if(k = 0, NULL, finished), if(k = 0, NULL, 'resolved'),
    if(k = 0 AND n % 4 = 0, toUInt64(50000), NULL), if(k = 0 AND n % 8 = 0, toUInt8(1), NULL),
    if(k = 0 AND with_supplement AND received + toIntervalDay(1) <= {now_at:DateTime64(3, 'UTC')}, [received + toIntervalDay(1)], []),
    if(k = 0 AND with_supplement AND received + toIntervalDay(3) <= {now_at:DateTime64(3, 'UTC')}, [received + toIntervalDay(3)], []),
    if(k = 0, toUInt8(n % 2), NULL), if(k = 0, NULL, toUInt8(n % 3 = 0)),
    if(k = 1 AND n % 5 = 0, toUInt8(n % 10 != 0), NULL), 'bench', 0, n
  FROM (${SOURCE})
  ARRAY JOIN [0, 1] AS k
  WHERE k = 0 OR finishes`;

// What dossier_state_mv_v1 folds the events above into, one row per dossier: each argMax keeps the value
// of the latest event (by version, event id) that carries one, so the resolved event's key wins where it
// repeats a value; columns no generated event carries keep their empty states.
const statesInsert = (
  table: string,
) => `INSERT INTO ${table} (dossier_code, agency_code, procedure_code, channel, submitted_at,
    received_at, due_at, due_history, finished_at, finish_kind, fee_vnd, paid_online, supplement_requested_at,
    supplement_received_at, components_digitized, result_digitized, rating_satisfied, last_version,
    first_ingested_at, last_ingested_at)
  SELECT code,
    initializeAggregation('argMaxState', concat('AG', toString(n % ${AGENCIES})), last_key),
    initializeAggregation('argMaxState', toNullable(concat('PR', toString(intHash32(n) % ${PROCEDURES}))), last_key),
    initializeAggregation('argMaxState', toNullable(if(n % 3 = 0, 'direct', 'online')), received_key),
    toNullable(received), toNullable(received),
    initializeAggregation('argMaxState', toNullable(due), received_key),
    ([due], [received]),
    if(finishes, toNullable(finished), NULL),
    initializeAggregation('argMinStateIf', 'resolved', (finished, 'f:' || code), finishes),
    initializeAggregation('argMaxState', if(n % 4 = 0, toNullable(toUInt64(50000)), NULL), received_key),
    if(n % 8 = 0, toNullable(toUInt8(1)), NULL),
    initializeAggregation('groupUniqArrayArrayState',
      if(with_supplement AND received + toIntervalDay(1) <= {now_at:DateTime64(3, 'UTC')}, [received + toIntervalDay(1)], [])),
    initializeAggregation('groupUniqArrayArrayState',
      if(with_supplement AND received + toIntervalDay(3) <= {now_at:DateTime64(3, 'UTC')}, [received + toIntervalDay(3)], [])),
    toNullable(toUInt8(n % 2)),
    if(finishes, toNullable(toUInt8(n % 3 = 0)), NULL),
    initializeAggregation('argMaxState', if(finishes AND n % 5 = 0, toNullable(toUInt8(n % 10 != 0)), NULL), last_key),
    if(finishes, toUInt64(toUnixTimestamp64Milli(finished)), toUInt64(toUnixTimestamp64Milli(received))),
    now64(3), now64(3)
  FROM (
    SELECT *, (toUInt64(toUnixTimestamp64Milli(received)), 'r:' || code) AS received_key,
      if(finishes, (toUInt64(toUnixTimestamp64Milli(finished)), 'f:' || code), received_key) AS last_key
    FROM (${SOURCE})
  )`;
