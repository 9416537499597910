import type { DossierState } from '@dossier/schemas';
import { describe, expect, it } from 'vitest';
import { backlogOptions, collect, normalizeAll } from './sample.ts';

function ratio(part: DossierState[], whole: DossierState[]): number {
  return part.length / whole.length;
}

/** On time by the national rule: finished by the due date and not sent back for supplements twice. */
function onTime(d: DossierState): boolean {
  if (d.supplement_requested_at.length >= 2) return false;
  return d.due_at === null || d.finished_at === null || d.finished_at <= d.due_at;
}

describe('the default mix lands KPIs near, not all above, the programme targets', {
  timeout: 120_000,
}, () => {
  const { states } = normalizeAll(collect(backlogOptions({ dossiers: 8_000, seed: 'mix' })));
  const all = [...states.values()].filter((d) => d.received_at !== null && d.received_at >= '2025-01-01');

  it('online resolution between 55% and 75% (target > 50% by 2025, > 80% by 2030)', () => {
    const r = ratio(
      all.filter((d) => d.channel === 'online'),
      all,
    );
    expect(r).toBeGreaterThan(0.55);
    expect(r).toBeLessThan(0.75);
  });

  it('on time between 85% and 95% of finished dossiers', () => {
    const finished = all.filter((d) => d.finished_at !== null);
    const r = ratio(finished.filter(onTime), finished);
    expect(r).toBeGreaterThan(0.85);
    expect(r).toBeLessThan(0.95);
  });

  it('satisfaction between 92% and 97% (target > 95%)', () => {
    const rated = all.filter((d) => d.rating_satisfied !== null);
    expect(rated.length).toBeGreaterThan(500);
    const r = ratio(
      rated.filter((d) => d.rating_satisfied === 1),
      rated,
    );
    expect(r).toBeGreaterThan(0.92);
    expect(r).toBeLessThan(0.97);
  });

  it('online payment between 40% and 60% of dossiers with a fee (target ≥ 50%)', () => {
    const withFee = all.filter((d) => (d.fee_vnd ?? 0) > 0 && d.paid_online !== null);
    expect(withFee.length).toBeGreaterThan(300);
    const r = ratio(
      withFee.filter((d) => d.paid_online === 1),
      withFee,
    );
    expect(r).toBeGreaterThan(0.4);
    expect(r).toBeLessThan(0.6);
  });

  it('keeps some dossiers open at the end of the range, late ones, supplements and withdrawals', () => {
    expect(all.some((d) => d.finished_at === null)).toBe(true);
    expect(all.some((d) => d.finish_kind === 'withdrawn')).toBe(true);
    // Not accepted at reception: never received.
    const filed = [...states.values()].filter(
      (d) => d.submitted_at !== null && d.submitted_at >= '2025-01-01',
    );
    expect(filed.some((d) => d.finish_kind === 'rejected' && d.received_at === null)).toBe(true);
    expect(all.some((d) => d.supplement_requested_at.length === 2)).toBe(true);
    expect(all.some((d) => d.components_digitized === 1 && d.result_digitized === 1)).toBe(true);
  });

  it('requests some supplements after the appointment passed, and keeps the appointment they replaced', () => {
    const late = all.filter(
      (d) =>
        d.due_before_at !== null &&
        d.due_moved_at !== null &&
        (d.supplement_requested_at[0] ?? '') > d.due_before_at &&
        d.due_moved_at > d.due_before_at,
    );
    // About a fifth of the 12% of dossiers with one supplement.
    expect(late.length / all.length).toBeGreaterThan(0.01);
    expect(late.length / all.length).toBeLessThan(0.05);
    // Mostly finished by the appointment re-issued after the receipt, though past the one they missed.
    expect(
      late.filter((d) => d.finished_at !== null && d.due_at !== null && d.finished_at <= d.due_at).length,
    ).toBeGreaterThan(late.length / 2);
  });
});
