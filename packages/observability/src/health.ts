export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type Check = () => CheckResult | Promise<CheckResult>;

export interface Health {
  /** Readiness checks: "is this component making progress", not only "is it connected". */
  addCheck(name: string, check: Check): void;
  readiness(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
}

export function createHealth(): Health {
  const checks = new Map<string, Check>();
  return {
    addCheck(name, check) {
      checks.set(name, check);
    },
    async readiness() {
      const results: Record<string, CheckResult> = {};
      for (const [name, check] of checks) {
        try {
          results[name] = await check();
        } catch (err) {
          results[name] = { ok: false, detail: err instanceof Error ? err.name : 'check failed' };
        }
      }
      return { ready: Object.values(results).every((r) => r.ok), checks: results };
    },
  };
}

/** A readiness check that fails when `beat()` has not been called within `maxAgeMs`. */
export function createHeartbeat(maxAgeMs: number, now: () => number = Date.now) {
  let last = now();
  return {
    beat() {
      last = now();
    },
    ageMs: () => now() - last,
    check: (): CheckResult => {
      const age = now() - last;
      return age <= maxAgeMs ? { ok: true } : { ok: false, detail: `no progress for ${age} ms` };
    },
  };
}
