import { catalogMessages } from './catalog.ts';
import type { SimMessage } from './dialects.ts';
import { createRng } from './random.ts';
import { DAY_MS, HOUR_MS, localDayStart, localWeekday } from './time.ts';
import { createTraffic, type Traffic, type TrafficOptions } from './traffic.ts';

export interface BacklogOptions extends TrafficOptions {
  /** First day of history (inclusive). */
  from: Date;
  /** End of history (exclusive): facts after it are not known yet, so those dossiers stay open. */
  to: Date;
  /** Dossiers filed over the whole range (each produces about 5–15 messages). */
  dossiers: number;
  /** Messages per yielded batch. */
  batchSize?: number;
  /** Catalog upserts are stamped with this time (ms); default `to`. */
  catalogTime?: number;
}

/** What the generator produced, returned when it is done. */
export type BacklogCounts = Traffic['counts'];

/** Dossiers per day follow the working week and grow ~10% a year. */
function dayWeight(dayStart: number, firstDay: number): number {
  const wd = localWeekday(dayStart + 12 * HOUR_MS);
  const week = wd === 0 ? 0.05 : wd === 6 ? 0.15 : 1;
  return week * (1 + (0.1 * (dayStart - firstDay)) / (365 * DAY_MS));
}

/**
 * Years of history, fast: the catalog first, then every dossier's messages in one go, dossier by
 * dossier in filing order (a backfill, not a replay of wall-clock order; the pipeline is
 * order-independent). Deterministic for a given seed and range.
 */
export function* generateBacklog(options: BacklogOptions): Generator<SimMessage[], BacklogCounts> {
  const from = localDayStart(options.from.getTime());
  const to = options.to.getTime();
  if (!(to > from)) throw new Error('backlog: expected --to after --from');
  const batchSize = options.batchSize ?? 10_000;
  const traffic = createTraffic(options);
  const timeRng = createRng(`${options.seed}:filing-times`);
  yield catalogMessages(traffic.catalog, options.catalogTime ?? to);

  const days: number[] = [];
  for (let d = from; d < to; d += DAY_MS) days.push(d);
  const weights = days.map((d) => dayWeight(d, from));
  const total = weights.reduce((s, w) => s + w, 0);
  let batch: SimMessage[] = [];
  let carry = 0;
  for (let i = 0; i < days.length; i++) {
    const dayStart = days[i] ?? 0;
    const exact = (options.dossiers * (weights[i] ?? 0)) / total + carry;
    const count = Math.floor(exact);
    carry = exact - count;
    // Filings arrive in office hours, except online ones, which come at any hour (mostly daytime).
    const filings: number[] = [];
    for (let n = 0; n < count; n++) {
      const hour = timeRng.chance(0.8) ? timeRng.uniform(7.5, 17) : timeRng.uniform(0, 24);
      const at = dayStart + hour * HOUR_MS;
      if (at < to) filings.push(at);
    }
    filings.sort((a, b) => a - b);
    for (const at of filings) {
      const messages = traffic.messages(traffic.dossier(at), to);
      for (const m of messages) batch.push(m);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
  return { ...traffic.counts };
}
