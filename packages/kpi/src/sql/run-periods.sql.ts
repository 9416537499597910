import { PERIOD_SQL, type PeriodKind, periodRangeSql, TIME_ZONE } from '../periods.ts';

/**
 * Periods a dossier takes part in: from the period of its start to the period of its finish, or to the
 * current period while it is open (it counts as in progress at the end of each of them). Optional Date
 * expressions clip the range, so a dossier open for years does not expand into periods nobody asked for.
 */
export function dossierPeriodsSql(kind: PeriodKind, clipFrom?: string, clipTo?: string): string {
  const k = PERIOD_SQL[kind];
  const end = "least(coalesce(finished_at, {now:DateTime64(3, 'UTC')}), {now:DateTime64(3, 'UTC')})";
  const first = clipFrom ? `greatest(${k.startOf('start_at')}, ${clipFrom})` : k.startOf('start_at');
  const last = clipTo ? `least(${k.startOf(end)}, ${clipTo})` : k.startOf(end);
  return `arrayMap(i -> ${k.add}(${first}, i), range(toUInt32(greatest(0, dateDiff('${k.unit}', ${first}, ${last}) + 1))))`;
}

/** The kinds whose periods are whole months, with their length in months. */
export type MonthsKind = Exclude<PeriodKind, 'day'>;
/** Each kind's length in months (column `step` of a source of several kinds), 0 for a day. */
export const MONTHS: Record<PeriodKind, number> = { day: 0, month: 1, quarter: 3, year: 12 };

/** The start of the period of the row's kind (column `step`: its months, 0 a day) containing the instant `ts`. */
export function monthsStartOfSql(ts: string): string {
  const date = `toDate(${ts}, '${TIME_ZONE}')`;
  return `multiIf(step = 0, ${date}, step = 1, toStartOfMonth(${date}), step = 3, toStartOfQuarter(${date}), toStartOfYear(${date}))`;
}

/** dossierPeriodsSql for the row's kind (a source of monthsFactsSourceSql). */
export function monthsPeriodsSql(clipFrom: string): string {
  const end = "least(coalesce(finished_at, {now:DateTime64(3, 'UTC')}), {now:DateTime64(3, 'UTC')})";
  const first = `greatest(${monthsStartOfSql('start_at')}, ${clipFrom})`;
  const last = monthsStartOfSql(end);
  const count = `if(step = 0, dateDiff('day', ${first}, ${last}), intDiv(dateDiff('month', ${first}, ${last}), greatest(step, 1)))`;
  return `arrayMap(i -> if(step = 0, addDays(${first}, i), addMonths(${first}, i * step)), range(toUInt32(greatest(0, ${count} + 1))))`;
}

/** The instant (city midnight) at which the period of the row's kind (column `step`) starting at `p` ends. */
export function monthsPeriodEndSql(p: string): string {
  return `toDateTime64(if(step = 0, addDays(${p}, 1), addMonths(${p}, step)), 3, '${TIME_ZONE}')`;
}

/**
 * The periods of dossierPeriodsSql whose rows no longer move with time (all but the running one while the
 * dossier is open at {now}), as stretches of consecutive periods over which the dossier's participation
 * row (participationSql) is the same but for its period: an array of (first period, number of periods).
 * A row judged at a period's end reads that instant only through comparisons with the dossier's own
 * instants (start, receipt, finish, due dates and their re-issue, the legal maximum, supplements
 * requested and received), and through whether one of them falls in the period; so a stretch
 * starts at the period of each such instant, at the one after it, and at the one before it when the
 * instant is a period's very start (that period's end: `<` and `<=` differ there). An open dossier's
 * days elapsed since the last cycle are then judged once per stretch, not once per day.
 */
export function settledStretchesSql(kind: PeriodKind, clipFrom: string): string {
  const k = PERIOD_SQL[kind];
  const now = "{now:DateTime64(3, 'UTC')}";
  const first = `greatest(${k.startOf('assumeNotNull(start_at)')}, ${clipFrom})`;
  // The running period of a dossier open at {now} moves with time (a live row): it is never settled.
  const last = `if(finished_at IS NULL OR finished_at >= ${now}, ${k.add}(${k.startOf(now)}, -1), ${k.startOf('finished_at')})`;
  const at = "Nullable(DateTime64(3, 'UTC'))";
  const instants = `arrayMap(x -> assumeNotNull(x), arrayFilter(x -> x IS NOT NULL, arrayConcat(
    [CAST(start_at AS ${at}), CAST(received_at AS ${at}), CAST(finished_at AS ${at}), CAST(due_at AS ${at}),
     CAST(due_before_at AS ${at}), CAST(due_moved_at AS ${at}), CAST(deadline_no_due AS ${at})],
    arrayMap(x -> CAST(x AS ${at}), arrayConcat(supplement_requested_at, supplement_received_at)))))`;
  const cuts = `arrayFlatten(arrayMap(x -> [${k.startOf('x - toIntervalMillisecond(1)')}, ${k.startOf('x')}, ${k.add}(${k.startOf('x')}, 1)], ${instants}))`;
  const starts = `if(start_at IS NOT NULL AND ${first} <= ${last},
    arraySort(arrayDistinct(arrayConcat([${first}], arrayFilter(s -> s > ${first} AND s <= ${last}, ${cuts})))), [])`;
  return `arrayMap(i -> (stretch_starts[i], toUInt32(dateDiff('${k.unit}', stretch_starts[i],
      if(i < length(stretch_starts), stretch_starts[i + 1], ${k.add}(${last}, 1))))),
    arrayEnumerate(${starts} AS stretch_starts))`;
}

/**
 * Records the periods of the run's changed dossiers, as their facts stood ('old', kpi_dossier_facts_v1)
 * and as they stand now ('new', the run's staged facts), or of every dossier ('all'): both the periods a
 * dossier left and the ones it joined are recomputed. Days start at {day_floor}, below which the run
 * recomputes none: a dossier open for years would otherwise list every day since its start. A changed
 * dossier's periods are 'touched': there the dossier KPIs of only the scopes its cell deltas reach are
 * recomputed (dossierValuesSql); every dossier's are 'dossier' periods, recomputed for every scope.
 */
export function touchedDossierPeriodsSql(kind: PeriodKind, facts: 'old' | 'new' | 'all'): string {
  return `${RUN_PERIODS_INSERT}\n${dossierPeriodsSelect(kind, facts)}`;
}

/** The periods of the run's changed dossiers, old and new facts, of every kind of `kinds`. */
function changedDossierPeriodSelects(kinds: readonly PeriodKind[]): string[] {
  return kinds.flatMap((kind) => (['old', 'new'] as const).map((facts) => dossierPeriodsSelect(kind, facts)));
}

const RUN_PERIODS_INSERT = 'INSERT INTO kpi_run_periods_v1 (run_id, period_kind, period_start, purpose)';

function dossierPeriodsSelect(kind: PeriodKind, facts: 'old' | 'new' | 'all'): string {
  const changed =
    "SELECT dossier_code FROM kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = 'new'";
  const source = {
    old: `kpi_dossier_facts_v1 FINAL WHERE dossier_code IN (${changed})`,
    new: "kpi_stage_facts_v1 WHERE run_id = {run_id:String} AND role = 'new'",
    all: 'kpi_dossier_facts_v1 FINAL WHERE 1',
  }[facts];
  return `SELECT DISTINCT {run_id:String}, '${kind}', p, '${facts === 'all' ? 'dossier' : 'touched'}'
FROM (SELECT start_at, finished_at FROM ${source} AND start_at IS NOT NULL AND start_at <= {now:DateTime64(3, 'UTC')})
ARRAY JOIN ${dossierPeriodsSql(kind, kind === 'day' ? '{day_floor:Date}' : undefined)} AS p`;
}

/**
 * The current period of every kind (open dossiers age, the catalog snapshot moves with time), and every
 * period since the one the previous cycle ran in: once such a period has ended it is judged one last time
 * at its end (the aggregator may have been stopped for days). The catalog snapshot of a current period is
 * the city day's, so while the previous cycle judged on the same city day only the dossier KPIs are due
 * (catalog rows ingested since come in through touchedCatalogPeriodsSql); a period that ended always
 * differs in day, so it is still judged in full. A cycle starting from the previous live cells marks them
 * 'touched' instead: only the scopes its crossed and changed dossiers moved in are recomputed
 * (dossierValuesSql).
 *
 * With `keepSnapshot` (a cycle on a new day; parameter {catalog_boundaries}), the period the previous
 * cycle ran in keeps its procedure KPIs when its catalog snapshot is the same: no catalog row's validity
 * starts or ends after the previous cycle's day up to the earlier of the period's last day and today
 * (catalogSnapshotSql reads nothing else, and rows ingested since are catalog changes,
 * touchedCatalogPeriodsSql's). There only the dossier KPIs and the Decision 766 index are due
 * ('dossier'); a period begun since has never been judged ('all').
 */
export function currentPeriodSql(
  kind: PeriodKind,
  sameDayPurpose: 'dossier' | 'touched' = 'dossier',
  keepSnapshot = false,
): string {
  const now = "{now:DateTime64(3, 'UTC')}";
  const previous = "{previous_now:DateTime64(3, 'UTC')}";
  const sameDay = `toDate(${previous}, '${TIME_ZONE}') = toDate(${now}, '${TIME_ZONE}')`;
  const since = `if(${previous} > toDateTime64('1970-01-02 00:00:00', 3, 'UTC'), least(${previous}, ${now}), ${now})`;
  const newDay = keepSnapshot ? `if(${sameSnapshotSql(kind, 'p')}, 'dossier', 'all')` : "'all'";
  return `
INSERT INTO kpi_run_periods_v1 (run_id, period_kind, period_start, purpose)
SELECT {run_id:String}, '${kind}', p, if(${sameDay}, '${sameDayPurpose}', ${newDay})
FROM system.one
ARRAY JOIN ${periodRangeSql(kind, since, now)} AS p`;
}

/**
 * Whether period `p` of `kind` (a Date expression) is the one {previous_now} fell in and its catalog
 * snapshot (catalogSnapshotSql: as of its last day, or today while it runs) is the one it had at
 * {previous_now}: none of {catalog_boundaries} (CATALOG_BOUNDARIES_SQL) lies up to the snapshot's day.
 */
function sameSnapshotSql(kind: PeriodKind, p: string): string {
  const k = PERIOD_SQL[kind];
  const today = `toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')`;
  return `${p} = ${k.startOf("{previous_now:DateTime64(3, 'UTC')}")}
    AND NOT arrayExists(d -> d <= least(subtractDays(${k.add}(${p}, 1), 1), ${today}), {catalog_boundaries:Array(Date)})`;
}

/**
 * The days after {previous_now}'s up to {now}'s (city days) on which a procedures_v1 row, any version,
 * starts or ends validity, as `days`: where a catalog snapshot taken on the earlier day and one taken
 * later can differ.
 */
export const CATALOG_BOUNDARIES_SQL = `
SELECT groupUniqArray(d) AS days
FROM
(
  SELECT valid_from AS d FROM procedures_v1
  WHERE valid_from > toDate({previous_now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')
    AND valid_from <= toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')
  UNION ALL
  SELECT assumeNotNull(valid_to) AS d FROM procedures_v1
  WHERE valid_to > toDate({previous_now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')
    AND valid_to <= toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')
)`;

/**
 * currentPeriodSql of every kind of `kinds` in one statement (each statement costs its planning), and with
 * `changed` the periods of the run's changed dossiers too (old and new facts, touchedDossierPeriodsSql).
 */
export function currentPeriodsSql(
  kinds: readonly PeriodKind[],
  sameDayPurpose: 'dossier' | 'touched' = 'dossier',
  keepSnapshot = false,
  changed = false,
): string {
  const current = kinds.map((kind) =>
    currentPeriodSql(kind, sameDayPurpose, keepSnapshot).replace(RUN_PERIODS_INSERT, '').trim(),
  );
  const selects = changed ? [...current, ...changedDossierPeriodSelects(kinds)] : current;
  return `${RUN_PERIODS_INSERT}\n${selects.join('\nUNION ALL\n')}`;
}

/**
 * Catalog rows ingested in the window change procedure KPIs from their validity start to now; those
 * periods are recomputed for the procedure KPIs (dossier KPIs follow through the refreshed facts). Days
 * start at {day_floor}, below which no run recomputes any (runPeriodsSourceSql): a catalog valid since
 * 2020 listed every day since, about 2,500 rows that nothing read but the run's reported period count.
 */
export function touchedCatalogPeriodsSql(kind: PeriodKind): string {
  const from =
    kind === 'day' ? `greatest(start_at, toDateTime64({day_floor:Date}, 3, '${TIME_ZONE}'))` : 'start_at';
  return `
INSERT INTO kpi_run_periods_v1 (run_id, period_kind, period_start, purpose)
SELECT {run_id:String}, '${kind}', p, 'procedure'
FROM
(
  SELECT min(toDateTime64(valid_from, 3, 'UTC')) AS start_at
  FROM
  (
    SELECT valid_from FROM procedures_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT valid_from FROM agencies_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')}
  )
  HAVING count() > 0
)
ARRAY JOIN ${periodRangeSql(kind, from, "{now:DateTime64(3, 'UTC')}")} AS p`;
}

/**
 * Periods whose Decision 766 external figures were loaded in the window (index766_external_v1 rows with
 * loaded_at in (from, to]): their external components, groups and total are recomputed.
 */
export function touchedExternalPeriodsSql(kind: PeriodKind): string {
  return `
INSERT INTO kpi_run_periods_v1 (run_id, period_kind, period_start, purpose)
SELECT DISTINCT {run_id:String}, '${kind}', period_start, 'index766'
FROM index766_external_v1
WHERE period_kind = '${kind}' AND loaded_at > {from:DateTime64(3, 'UTC')} AND loaded_at <= {to:DateTime64(3, 'UTC')}
  AND period_start <= toDate({now:DateTime64(3, 'UTC')}, '${TIME_ZONE}')`;
}

/**
 * A date range on demand (backfill): every period overlapping [from_date, to_date] that has begun by
 * {now}, for all KPIs (a period still to come has no value yet).
 */
export function rangePeriodsSql(kind: PeriodKind): string {
  return `
INSERT INTO kpi_run_periods_v1 (run_id, period_kind, period_start, purpose)
SELECT {run_id:String}, '${kind}', p, 'all'
FROM system.one
ARRAY JOIN ${periodRangeSql(kind, "toDateTime64({from_date:Date}, 3, 'Asia/Ho_Chi_Minh')", "least(toDateTime64({to_date:Date}, 3, 'Asia/Ho_Chi_Minh'), {now:DateTime64(3, 'UTC')})")} AS p`;
}

/** Dossiers to refresh: events ingested in the window, plus dossiers whose catalog rows changed. */
export const TOUCHED_DOSSIERS_SQL = `
INSERT INTO kpi_run_dossiers_v1 (run_id, dossier_code)
SELECT DISTINCT {run_id:String}, dossier_code
FROM kpi_touched_v1
WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')}`;

export const CATALOG_TOUCHED_DOSSIERS_SQL = `
INSERT INTO kpi_run_dossiers_v1 (run_id, dossier_code)
SELECT DISTINCT {run_id:String}, dossier_code
FROM kpi_dossier_facts_v1
WHERE procedure_code IN
    (SELECT procedure_code FROM procedures_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')})
  OR agency_code IN
    (SELECT agency_code FROM agencies_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')})`;

/**
 * `FROM … WHERE` body selecting the run's periods of `kind` for the given purposes. Day periods before
 * {day_floor} are left as they are: a late event for an open dossier would otherwise touch every day
 * since its start, and day values that old are read by nobody (months, quarters and years still move).
 */
export function runPeriodsSourceSql(kind: PeriodKind, purposes: readonly string[]): string {
  const floor = kind === 'day' ? ' AND period_start >= {day_floor:Date}' : '';
  return `kpi_run_periods_v1 WHERE run_id = {run_id:String} AND period_kind = '${kind}'
    AND purpose IN (${purposes.map((p) => `'${p}'`).join(', ')})${floor}`;
}

export function runPeriodsFilterSql(kind: PeriodKind, purposes: readonly string[]): string {
  return `(SELECT period_start FROM ${runPeriodsSourceSql(kind, purposes)})`;
}

/**
 * How many of the run's periods each (kind, purposes) statement would recompute, as one row of columns
 * named `<kind>_<index>`: a statement over no period writes nothing, so the cycle skips it.
 */
export function runPeriodCountsSql(
  groups: readonly { kind: PeriodKind; purposes: readonly string[] }[],
): string {
  const columns = groups.map(
    ({ kind, purposes }, i) => `(SELECT count() FROM ${runPeriodsSourceSql(kind, purposes)}) AS ${kind}_${i}`,
  );
  return `SELECT ${columns.join(', ')}`;
}

/** Whether catalog rows were ingested in the window (then their dossiers are refreshed too). */
export const CATALOG_CHANGED_SQL = `
SELECT (SELECT count() FROM procedures_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')})
  + (SELECT count() FROM agencies_v1 WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')}) AS n`;

/** Whether Decision 766 external figures were loaded in the window. */
export const EXTERNAL_LOADED_SQL = `
SELECT count() AS n FROM index766_external_v1
WHERE loaded_at > {from:DateTime64(3, 'UTC')} AND loaded_at <= {to:DateTime64(3, 'UTC')}`;

/**
 * `(period_kind, period_start)` pairs of the run's periods of `kinds` for the given purposes, days from
 * {day_floor} on, for `(period_kind, period_start) IN …` filters of a statement over several kinds.
 */
export function runPeriodPairsSql(kinds: readonly PeriodKind[], purposes: readonly string[]): string {
  return `(SELECT period_kind, period_start FROM kpi_run_periods_v1 WHERE run_id = {run_id:String}
    AND period_kind IN (${kinds.map((k) => `'${k}'`).join(', ')}) AND purpose IN (${purposes.map((p) => `'${p}'`).join(', ')})
    AND (period_kind != 'day' OR period_start >= {day_floor:Date}))`;
}
