import { formatUtc } from '@dossier/schemas';
import { type FaultShares, generateBacklog, type SimMessage } from '@dossier/simulator';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface InputOptions {
  seed: string;
  dossiers: number;
  /** Wall-clock start of the suite: history ends at the hour before it. */
  startedAt: number;
  faults?: FaultShares;
}

/**
 * A deterministic agency workload: three weeks of history up to the hour before the suite started
 * (recent enough that every day is within the aggregator's day horizon), with the simulator's faults
 * (duplicates, out of order, broken copies), the catalog first.
 */
export function buildInput(options: InputOptions): {
  messages: SimMessage[];
  dossierCodes: Set<string>;
  judgeAt: string;
} {
  const to = Math.floor(options.startedAt / HOUR_MS) * HOUR_MS - HOUR_MS;
  const from = to - 21 * DAY_MS;
  const generator = generateBacklog({
    seed: options.seed,
    dvcqgShare: 0.4,
    faults: options.faults ?? { duplicate: 0.02, outOfOrder: 0.05, malformed: 0.01 },
    from: new Date(from),
    to: new Date(to),
    dossiers: options.dossiers,
  });
  const messages: SimMessage[] = [];
  for (let next = generator.next(); !next.done; next = generator.next()) messages.push(...next.value);
  const dossierCodes = new Set(messages.filter((m) => m.topic !== 'catalog').map((m) => m.key));
  // Every run's KPIs are compared as judged one day after the history ends, later than any run's cycle.
  const judgeAt = formatUtc(to + DAY_MS);
  return { messages, dossierCodes, judgeAt };
}
