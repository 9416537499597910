import type { z } from 'zod';
import type { Rejection } from './rows.ts';

/** Stable machine codes of rejected input; dashboards and replays key on these. */
export const REJECTION_CODES = [
  'unknown_topic',
  'bad_origin',
  'empty',
  'too_large',
  'invalid_encoding',
  'invalid_json',
  'schema',
  'unknown_kind',
  'unknown_status',
  'missing_field',
  'bad_date',
  'due_before_receipt',
  'negative_fee',
  'future_time',
  'key_mismatch',
  'internal_error',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** Thrown inside the normalizer to stop at the first problem; `normalizeMessage` turns it into a result. */
export class RejectedInput extends Error {
  constructor(
    readonly code: RejectionCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'RejectedInput';
  }

  toRejection(): Rejection {
    return { code: this.code, reason: this.reason };
  }
}

export function reject(code: RejectionCode, reason: string): never {
  throw new RejectedInput(code, reason);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(message)' : out;
}

function issueCode(issue: z.core.$ZodIssue): RejectionCode {
  if (issue.code === 'custom') {
    const code = (issue.params as { rejection?: unknown } | undefined)?.rejection;
    if (typeof code === 'string' && (REJECTION_CODES as readonly string[]).includes(code)) {
      return code as RejectionCode;
    }
  }
  return 'schema';
}

const MAX_LISTED_ISSUES = 3;

/**
 * A zod error as a rejection. zod's messages name the field, the problem and the expectation but never
 * the received value, so no personal data can leak into the reason.
 */
export function rejectionFromZod(error: z.ZodError, what: string): RejectedInput {
  const issues = error.issues;
  const first = issues[0];
  if (!first) return new RejectedInput('schema', `${what} does not match its schema`);
  const specific = issues.find((i) => issueCode(i) !== 'schema');
  const ordered = specific ? [specific, ...issues.filter((i) => i !== specific)] : issues;
  const listed = ordered.slice(0, MAX_LISTED_ISSUES).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > MAX_LISTED_ISSUES ? ` (and ${issues.length - MAX_LISTED_ISSUES} more)` : '';
  const code = specific ? issueCode(specific) : 'schema';
  return new RejectedInput(code, `${what}: ${listed.join('; ')}${more}`);
}
