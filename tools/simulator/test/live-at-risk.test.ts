import { parseUtc } from '@dossier/schemas';
import { describe, expect, it } from 'vitest';
import type { SimMessage } from '../src/dialects.ts';
import { createRng } from '../src/random.ts';
import { addWorkingDays, DAY_MS, localDayStart } from '../src/time.ts';
import { createTraffic } from '../src/traffic.ts';
import { normalizeAll } from './sample.ts';

// What `npm start` shows on the at-risk page after a minute: the live simulator at its default rate (50
// messages a second, all-in-one SIMULATOR_RATE) files dossiers up to 30 days back, as createSimulator's
// fill does, and sends the steps already past; the ones still to come keep their dossiers open. Run
// through the ingestor's normalizer and fold, the open dossiers must hold every state of the list.

const SEED = 'live-at-risk';
const NOW = Date.parse('2026-12-02T10:00:00+07:00'); // a Wednesday
const FIRST_MINUTE = 50 * 60;

function firstMinute(): SimMessage[] {
  const traffic = createTraffic({
    seed: SEED,
    dvcqgShare: 0.4,
    faults: { duplicate: 0, outOfOrder: 0, malformed: 0 },
  });
  const filingRng = createRng(`${SEED}:live-filings`);
  const sent: SimMessage[] = [];
  while (sent.length < FIRST_MINUTE) {
    const dossier = traffic.dossier(NOW - filingRng.next() * 30 * DAY_MS);
    for (const m of traffic.messages(dossier, Number.POSITIVE_INFINITY)) if (m.at <= NOW) sent.push(m);
  }
  return sent;
}

/**
 * The progress rule judged at NOW, as dossiers_at_risk_v1 applies it (migration 0226, the rule of
 * onTimeSql; weekends only, horizon 2): the wait since the one supplement request moves the due date
 * only while that supplement is still awaited; once received, the agency re-issues the due date.
 */
function stateAtNow(s: {
  due_at: string | null;
  supplement_requested_at: string[];
  supplement_received_at: string[];
}): string {
  const requested = s.supplement_requested_at.map(parseUtc).filter((t) => t < NOW);
  const received = s.supplement_received_at.map(parseUtc).filter((t) => t < NOW);
  const first = requested[0];
  const waiting = requested.length === 1 && received.length === 0 && first !== undefined ? NOW - first : 0;
  const effective = s.due_at === null ? null : parseUtc(s.due_at) + waiting;
  if (requested.length > 1 || (effective !== null && NOW > effective)) return 'overdue';
  if (received.length < requested.length) return 'waiting_applicant';
  const horizonEnd = addWorkingDays(localDayStart(NOW), 2) + DAY_MS;
  return effective !== null && effective < horizonEnd ? 'due_soon' : 'on_track';
}

describe('the live simulator’s first minute', () => {
  it('opens dossiers in every at-risk state: overdue, due soon, waiting for the applicant, on track', () => {
    const { states, rejections } = normalizeAll(firstMinute());
    expect(rejections).toEqual([]);
    const counts: Record<string, number> = {};
    let resumed = 0;
    for (const s of states.values()) {
      if (s.received_at === null || s.finished_at !== null) continue;
      const state = stateAtNow(s);
      counts[state] = (counts[state] ?? 0) + 1;
      if (s.supplement_received_at.length > 0) resumed++;
    }
    // Open dossiers whose supplement came in: judged by their re-issued due date, with no wait added.
    expect(resumed).toBeGreaterThanOrEqual(5);
    expect(counts.overdue).toBeGreaterThanOrEqual(5);
    expect(counts.due_soon).toBeGreaterThanOrEqual(5);
    expect(counts.waiting_applicant).toBeGreaterThanOrEqual(5);
    expect(counts.on_track).toBeGreaterThanOrEqual(50);
  }, 120_000);
});
