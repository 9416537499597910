import { describe, expect, it } from 'vitest';
import { formatOutcome, passed, type ScenarioOutcome } from '../src/suite.ts';

const COUNTS =
  /faults injected (\S+), dossiers sent (\S+), stored (\S+), lost (\S+), double-counted (\S+), KPI values differing (\S+)/;

describe("the fault suite's report of a scenario", () => {
  it('prints faults injected, dossiers sent, stored, lost, double-counted and KPI values differing, and fails on any loss', () => {
    const report = {
      faultsInjected: 3,
      dossiersSent: 396,
      dossiersStored: 396,
      lost: 0,
      doubleCounted: 0,
      kpiValuesDiffering: 0,
      details: { 'letters to replay': 493 },
    };
    const ok: ScenarioOutcome = { scenario: 'kill-replay', report, seconds: 12 };
    expect(passed(ok)).toBe(true);
    expect(formatOutcome(ok)).toContain('kill-replay: ok in 12 s');
    expect(COUNTS.exec(formatOutcome(ok))?.slice(1)).toEqual(['3', '396', '396', '0', '0', '0']);
    expect(formatOutcome(ok)).toContain('letters to replay 493');

    for (const bad of [{ lost: 1 }, { doubleCounted: 1 }, { kpiValuesDiffering: 2 }, { problems: ['x'] }]) {
      const outcome = { scenario: 's', report: { ...report, ...bad }, seconds: 1 };
      expect(passed(outcome)).toBe(false);
      expect(formatOutcome(outcome)).toContain('s: FAILED in 1 s');
    }
  });

  it('prints the same counts line, unknown, for a scenario that did not finish', () => {
    const failed: ScenarioOutcome = { scenario: 'kill-migrations', error: 'Error: boom', seconds: 5 };
    expect(passed(failed)).toBe(false);
    const text = formatOutcome(failed);
    expect(text).toContain('kill-migrations: FAILED to run after 5 s');
    expect(COUNTS.exec(text)?.slice(1)).toEqual(['?', '?', '?', '?', '?', '?']);
    expect(text).toContain('Error: boom');
  });
});
