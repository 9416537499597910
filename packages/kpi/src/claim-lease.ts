/**
 * How KPI runs prove they are alive while they hold a generation claim (kpi_cycles_v1), and how a run
 * judges another's claim: a claim whose run is dead is finished (or, for a rebuild, redone) at once.
 * Embedded mode uses singleProcessLeases; distributed mode a lease store every instance shares (the
 * aggregator's Redis leases).
 */
export interface KpiLeases {
  /** Starts proving that run `runId` is alive, until `release`. */
  hold(runId: string): Promise<HeldLease>;
  /**
   * Whether the run that claimed a generation may still be working: true, false (dead: finish its
   * generation now), or undefined (unknown: judged by the claim's age, see staleAfterMs).
   */
  isAlive(runId: string): Promise<boolean | undefined>;
}

export interface HeldLease {
  /** Aborted once the lease lapsed: others may take the claim over, so the run stops at its next statement. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Leases of a process that is the only one using its ClickHouse (embedded chDB binds a data directory to
 * one process): a claim this process does not hold was left by an earlier process and is dead by
 * construction, so nothing is written, renewed or waited for.
 */
export function singleProcessLeases(): KpiLeases {
  const held = new Set<string>();
  return {
    async hold(runId) {
      held.add(runId);
      return {
        lost: new AbortController().signal,
        async release() {
          held.delete(runId);
        },
      };
    },
    async isAlive(runId) {
      return held.has(runId);
    },
  };
}
