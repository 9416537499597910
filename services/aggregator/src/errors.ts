import { clickHouseErrorCode, isPassingErrorCode, networkErrorCode } from '@dossier/clickhouse';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';

export type ErrorKind = 'poison' | 'transient' | 'bug';

/** Classifies by class or code, never by message text. */
export function classifyError(err: unknown): ErrorKind {
  if (err instanceof z.ZodError || err instanceof UnrecoverableError) return 'poison';
  // ClickHouse or Redis not reached, or a ClickHouse error that may pass (timeouts, memory, too many
  // parts or queries): the next attempt, or the next scheduled cycle, may succeed.
  if (networkErrorCode(err) !== undefined) return 'transient';
  const chCode = clickHouseErrorCode(err);
  if (chCode !== undefined && isPassingErrorCode(chCode)) return 'transient';
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'transient';
  }
  return 'bug';
}
