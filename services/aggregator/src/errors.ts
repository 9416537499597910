import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';

export type ErrorKind = 'poison' | 'transient' | 'bug';

// Network-level failures of ClickHouse or Redis: the next attempt (or the next scheduled cycle) may succeed.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
// ClickHouse server codes that mean "try again": timeouts, memory, too many parts/queries, network.
const TRANSIENT_CLICKHOUSE_CODES = new Set(['159', '160', '202', '209', '210', '241', '252', '394', '425']);

/** Classifies by class or code, never by message text. */
export function classifyError(err: unknown): ErrorKind {
  if (err instanceof z.ZodError || err instanceof UnrecoverableError) return 'poison';
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || TRANSIENT_CLICKHOUSE_CODES.has(code)))
      return 'transient';
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'transient';
  }
  return 'bug';
}
