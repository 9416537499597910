import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../src/catalog.ts';
import { planDossier, type StepKind } from '../src/lifecycle.ts';
import { createRng } from '../src/random.ts';
import { backlogOptions, collect } from './sample.ts';

const FINISH: StepKind[] = ['rejected', 'withdrawn', 'stopped', 'resolved'];

describe('dossier lifecycles', () => {
  const rng = createRng(3);
  const catalog = buildCatalog(rng.fork('catalog'));
  const agency = catalog.agencies.activeOn('2025-09-01').commune[0];
  if (!agency) throw new Error('no commune agency');
  const dossiers = Array.from({ length: 3_000 }, (_, i) =>
    planDossier({
      code: `${agency.code}-250901-${i + 1}`,
      agency,
      procedure: catalog.procedures[i % catalog.procedures.length]!,
      filedAt: Date.parse('2025-09-01T09:00:00+07:00'),
      rng,
    }),
  );

  it('follow the DVCQG status order: filed, received, then at most one finish', () => {
    for (const d of dossiers) {
      const kinds = d.steps.map((s) => s.kind);
      // Online filings and dossiers refused at the counter are first registered; others start at receipt.
      expect(kinds[0]).toBe(d.channel === 'online' || kinds.includes('rejected') ? 'submitted' : 'received');
      // A dossier not accepted at reception was never received.
      if (kinds.includes('rejected')) expect(kinds).not.toContain('received');
      expect(kinds.filter((k) => FINISH.includes(k)).length).toBeLessThanOrEqual(1);
      const times = d.steps.map((s) => s.at);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const at = (k: StepKind) => kinds.indexOf(k);
      if (at('paid') >= 0) expect(at('paid')).toBeGreaterThan(at('payment_requested'));
      if (at('result_returned') >= 0) expect(at('result_returned')).toBeGreaterThan(at('resolved'));
      if (at('rated') >= 0) expect(at('rated')).toBeGreaterThan(at('result_returned'));
      const requests = kinds.filter((k) => k === 'supplement_requested').length;
      expect(kinds.filter((k) => k === 'supplement_received').length).toBeLessThanOrEqual(requests);
      const received = d.steps.find((s) => s.kind === 'received');
      if (received) expect(received.due).toBeGreaterThanOrEqual(received.at);
    }
  });

  it('include every path the KPIs distinguish', () => {
    const kinds = new Set(dossiers.flatMap((d) => d.steps.map((s) => s.kind)));
    expect(kinds.size).toBe(15);
    expect(dossiers.some((d) => d.steps.filter((s) => s.kind === 'supplement_requested').length === 2)).toBe(
      true,
    );
    expect(dossiers.some((d) => d.steps.some((s) => s.kind === 'paid' && s.paidOnline))).toBe(true);
    expect(dossiers.some((d) => d.steps.some((s) => s.kind === 'paid' && !s.paidOnline))).toBe(true);
    expect(new Set(dossiers.map((d) => d.channel))).toEqual(new Set(['online', 'direct', 'postal']));
  });

  it('include what the Decision 766 populations tell apart, in realistic shares', () => {
    const share = (test: (d: (typeof dossiers)[number]) => boolean, of = dossiers) =>
      of.filter(test).length / of.length;
    const online = dossiers.filter((d) => d.channel === 'online');
    const kinds = (d: (typeof dossiers)[number]) => d.steps.map((s) => s.kind);
    // Submitted online and never received; not accepted at reception.
    expect(share((d) => kinds(d).length === 1 && kinds(d)[0] === 'submitted', online)).toBeGreaterThan(0.01);
    expect(share((d) => kinds(d).includes('rejected'))).toBeGreaterThan(0.015);
    const feeBearing = dossiers.filter((d) => d.procedure.feeBearing && d.feeVnd > 0);
    expect(share((d) => d.feeList === 'missing', feeBearing)).toBeGreaterThan(0.03);
    expect(share((d) => d.feeList === 'exempt', feeBearing)).toBeGreaterThan(0.02);
    expect(share((d) => d.feeList === 'listed', feeBearing)).toBeGreaterThan(0.8);
    expect(share((d) => d.vneidVerified, online)).toBeGreaterThan(0.4);
    expect(share((d) => d.documents.some((doc) => doc.reused))).toBeGreaterThan(0.05);
    expect(share((d) => d.resultCode !== null)).toBeGreaterThan(0.85);
  });
});

describe('determinism', () => {
  it('gives the same messages for the same seed and different ones for another seed', () => {
    const a = collect(
      backlogOptions({ dossiers: 300, faults: { duplicate: 0.1, outOfOrder: 0.1, malformed: 0.1 } }),
    );
    const b = collect(
      backlogOptions({ dossiers: 300, faults: { duplicate: 0.1, outOfOrder: 0.1, malformed: 0.1 } }),
    );
    const c = collect(
      backlogOptions({ dossiers: 300, seed: 8, faults: { duplicate: 0.1, outOfOrder: 0.1, malformed: 0.1 } }),
    );
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
