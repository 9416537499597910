import { clickHouseErrorCode, isRowErrorCode, networkErrorCode } from '@dossier/clickhouse';

/**
 * Failure classification by error class and code (the shared vocabulary of @dossier/clickhouse), never by
 * message text. Three outcomes matter to the ingestor: retry later (transient), the rows themselves are
 * unacceptable (row), or we gave up because the process is stopping (abandoned).
 */

/** Thrown into an in-flight batch when the shutdown deadline passes; the batch stays uncommitted. */
export class BatchAbandonedError extends Error {
  constructor() {
    super('in-flight batch abandoned at the shutdown deadline');
    this.name = 'BatchAbandonedError';
  }
}

export type FailureKind = 'transient' | 'row' | 'abandoned';

export interface Classified {
  kind: FailureKind;
  /** Closed label value: a ClickHouse error number, a known Node/undici code, `kafka`, or `other`. */
  code: string;
}

export function classifyError(err: unknown): Classified {
  if (err instanceof BatchAbandonedError) return { kind: 'abandoned', code: 'abandoned' };
  const chCode = clickHouseErrorCode(err);
  // Whatever is not about the rows (unknown table, memory, too many parts, timeouts) is about the server
  // or the deployment and is retried: dead-lettering good rows because a table is missing would be data
  // loss by another name.
  if (chCode !== undefined)
    return { kind: isRowErrorCode(chCode) ? 'row' : 'transient', code: String(chCode) };
  const network = networkErrorCode(err);
  if (network !== undefined) return { kind: 'transient', code: network };
  if (err instanceof Error) {
    // kafkajs errors (the dead-letter producer) are all worth retrying later: a write we cannot do
    // now blocks the commit, and the partition is paused instead of crash-looping.
    if (err.name.startsWith('KafkaJS')) return { kind: 'transient', code: 'kafka' };
  }
  // Unknown origin: treated as transient so the partition backs off rather than dropping anything.
  return { kind: 'transient', code: 'other' };
}

/** `SOMETHING (CODE 27)` style text for a dead letter: the code and symbolic type, never the message. */
export function describeClickHouseRejection(err: unknown): string {
  const code = clickHouseErrorCode(err);
  const type = (err as { type?: unknown }).type;
  return code === undefined
    ? 'ClickHouse rejected the row'
    : `ClickHouse rejected the row: code ${code} ${typeof type === 'string' ? type : ''}`.trimEnd();
}
