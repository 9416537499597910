export interface FailureLimiter {
  /** Milliseconds until this address may try a credential again; 0 when it may now. */
  blockedFor(address: string): number;
  /** One failed attempt (wrong token) from this address. */
  fail(address: string): void;
}

export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Addresses remembered at most; the oldest window is forgotten first. */
  maxAddresses?: number;
  now?: () => number;
}

/** At most `maxFailures` wrong credentials per address in a fixed window; the window's end lifts the block. */
export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const now = options.now ?? Date.now;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (address: string) => {
    const window = windows.get(address);
    if (window && now() - window.start < options.windowMs) return window;
    if (window) windows.delete(address);
    return undefined;
  };
  return {
    blockedFor(address) {
      const window = current(address);
      if (!window || window.failures < options.maxFailures) return 0;
      return window.start + options.windowMs - now();
    },
    fail(address) {
      const window = current(address);
      if (window) {
        window.failures += 1;
        return;
      }
      while (windows.size >= maxAddresses) windows.delete(windows.keys().next().value as string);
      windows.set(address, { start: now(), failures: 1 });
    },
  };
}
