export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1 → a number in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed, half random, so retries
 * of several partitions spread out but none retries sooner than half its step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
