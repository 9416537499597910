import { BEFORE } from './cells.sql.ts';
import { CROSSED, PREVIOUS_LIVE_READY_SQL } from './crossed.sql.ts';
import { CATALOG_CHANGED_SQL, EXTERNAL_LOADED_SQL } from './run-periods.sql.ts';

/** Events of dossiers ingested in the window, as a count. */
const TOUCHED_EVENTS_SQL = `
SELECT count() FROM kpi_touched_v1
WHERE ingested_at > {from:DateTime64(3, 'UTC')} AND ingested_at <= {to:DateTime64(3, 'UTC')}`;

/**
 * Open dossiers that crossed an instant of theirs (crossed.sql.ts CROSSED), counted as `n`, where `when`
 * (conditions joined by AND) holds.
 */
const crossedCountSql = (...when: string[]) =>
  `SELECT count() AS n FROM kpi_open_facts_v1 WHERE ${[...when, CROSSED].join(' AND ')}`;

/**
 * What a cycle asks before staging, in one statement (each costs its planning; an idle cycle used to ask
 * in two, and list the touched dossiers before asking), each as a count:
 * - `catalog`, `external`: catalog rows ingested in the window (CATALOG_CHANGED_SQL), external figures
 *   loaded in it (EXTERNAL_LOADED_SQL);
 * - `dossiers`: events of dossiers ingested in it (kpi_touched_v1 rows; TOUCHED_DOSSIERS_SQL lists their
 *   dossiers only when there are any);
 * - `due`: open dossiers that can have settled between {judged_before} and {now} without a period ending:
 *   they finished or started in between (facts may lie a few minutes ahead; cancelled rows may answer
 *   too, which only costs a needless read);
 * - `crossed`: open dossiers that crossed an instant of theirs (crossed.sql.ts CROSSED), asked only where
 *   a cycle may be one of time passing alone: {ask_crossed} (the same periods and computation as the last
 *   cycle) and no event ingested (a scalar subquery, a constant when the filter is planned: else nothing
 *   is read); where events were ingested but changed no fact, the cycle asks CROSSED_COUNT_SQL after;
 * - `ready`, `grow`: PREVIOUS_LIVE_READY_SQL of {previous_live_base} (0 for '').
 */
export const CYCLE_PROBE_SQL = `
SELECT catalog, external, dossiers, due, crossed, previous_live.1 AS ready, previous_live.2 AS grow
FROM
(
  SELECT (SELECT n FROM (${CATALOG_CHANGED_SQL})) AS catalog, (SELECT n FROM (${EXTERNAL_LOADED_SQL})) AS external,
    (${TOUCHED_EVENTS_SQL}) AS dossiers,
    (SELECT count() FROM kpi_open_facts_v1 WHERE finished_at >= ${BEFORE} OR start_at > ${BEFORE}) AS due,
    (${crossedCountSql('{ask_crossed:UInt8} = 1', `(${TOUCHED_EVENTS_SQL}) = 0`)}) AS crossed,
    (SELECT (n, grow) FROM (${PREVIOUS_LIVE_READY_SQL})) AS previous_live
)`;

/**
 * Open dossiers that crossed an instant of theirs, for a cycle whose ingested events changed no fact (a
 * redelivery, an event no fact reads): time passing alone, which the probe did not ask about.
 */
export const CROSSED_COUNT_SQL = crossedCountSql();
