import type { BoundQuery } from './kpi.queries.ts';

/** The latest operator actions, newest first; a retried write of the same action shows once. */
export function latestOperatorActionsQuery(limit: number, action?: string): BoundQuery {
  return {
    query: `SELECT toString(action_id) AS action_id, toString(started_at) AS started_at,
        toString(finished_at) AS finished_at, action, method, route, target, details, credential_id,
        auth_method, remote_address, status, outcome
      FROM operator_actions_v1
      WHERE {action:String} = '' OR action = {action:String}
      ORDER BY started_at DESC, action_id
      LIMIT 1 BY action_id
      LIMIT {limit:UInt32}`,
    query_params: { limit, action: action ?? '' },
  };
}
