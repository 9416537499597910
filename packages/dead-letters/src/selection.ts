import { formatUtc } from '@dossier/schemas';

/** Which dead letters an operator means: rejected in [since, until), by reason code and source topic. */
export interface DeadLetterFilter {
  since?: Date;
  until?: Date;
  reason?: string;
  topic?: string;
}

/**
 * The filter as SQL conditions on the dead-letter table (columns prefixed with `alias.` when given)
 * and their parameters: the one selection the list, the dashboard and the replay share. Constant
 * fragments only; every value is a query parameter.
 */
export function selectionConditions(
  filter: DeadLetterFilter,
  alias?: string,
): { conditions: string[]; params: Record<string, unknown> } {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.since) {
    conditions.push(`${column('rejected_at')} >= {since:DateTime64(3, 'UTC')}`);
    params.since = formatUtc(filter.since.getTime());
  }
  if (filter.until) {
    conditions.push(`${column('rejected_at')} < {until:DateTime64(3, 'UTC')}`);
    params.until = formatUtc(filter.until.getTime());
  }
  if (filter.reason) {
    conditions.push(`${column('reason_code')} = {reason:String}`);
    params.reason = filter.reason;
  }
  if (filter.topic) {
    conditions.push(`${column('source_topic')} = {topic:String}`);
    params.topic = filter.topic;
  }
  return { conditions, params };
}
