// The progress component's on-time verdict at one instant (national rule): the TypeScript twin of
// onTimeSql (sql/cells.sql.ts), which judges a dossier's facts at its finish or at a period's end.

/** The facts the verdict reads (kpi_dossier_facts_v1's columns), instants as Dates. */
export interface OnTimeFacts {
  /** The appointment in force now (the latest one issued). */
  dueAt: Date | null;
  /** The appointment in force before the last re-issue, and the re-issue's instant; null if never re-issued. */
  dueBeforeAt?: Date | null;
  dueMovedAt?: Date | null;
  /** The procedure's legal maximum from the start, in working days, when there is no due date. */
  deadlineNoDue: Date | null;
  supplementRequestedAt: readonly Date[];
  supplementReceivedAt: readonly Date[];
}

export interface OnTimeVerdict {
  onTime: boolean;
  /** Supplement requests before the instant (more than one: late). */
  requests: number;
  /** The wait so far while the one supplement is awaited at the instant; 0 otherwise. */
  waitingMs: number;
  /** The deadline in force at the instant (the appointment then, else the legal maximum), before the wait. */
  deadline: Date | null;
}

/**
 * Judged at `at`: more than one supplement request before it is late; while the one supplement is awaited
 * the wait so far moves the deadline; once received, the appointment re-issued then already holds the
 * wait. The deadline is the appointment in force at `at` — before the last re-issue, the one it replaced,
 * so an instant between the original due date and a late supplement's receipt finds the dossier overdue —
 * else the legal maximum; with neither, on time.
 */
export function onTimeAt(facts: OnTimeFacts, at: Date): OnTimeVerdict {
  const t = at.getTime();
  const requests = facts.supplementRequestedAt.filter((d) => d.getTime() < t).length;
  const received = facts.supplementReceivedAt.some((d) => d.getTime() < t);
  const first = facts.supplementRequestedAt[0];
  const waitingMs = requests === 1 && first && !received ? t - first.getTime() : 0;
  const moved = facts.dueMovedAt ?? null;
  const due = moved !== null && t < moved.getTime() ? (facts.dueBeforeAt ?? null) : facts.dueAt;
  const deadline = due ?? facts.deadlineNoDue;
  const onTime = requests <= 1 && (deadline === null || t <= deadline.getTime() + waitingMs);
  return { onTime, requests, waitingMs, deadline };
}
