import { runHostileInput } from '../../../../test/faults/hostile-input.scenario.ts';
import type { FaultScenario } from '../scenario.ts';

/**
 * The hostile-input scenario of the dead-letter work (test/faults/hostile-input.scenario.ts: mixed valid
 * and hostile messages at volume, with its own input and counts) run from `npm run faults`. Its short
 * profile already runs in `npm test` through test/faults/hostile-input.int.test.ts, so only the long one
 * (100,000 messages) runs here. Its counts are events, not dossiers.
 */
export const hostileInput: FaultScenario = {
  name: 'hostile-input',
  description: 'valid events mixed with hostile messages at volume (test/faults/hostile-input.scenario.ts)',
  iterations: { short: 0, long: 1 },
  async run(context) {
    const result = await runHostileInput({
      brokers: context.brokers,
      profile: context.profile,
      seed: context.seed,
      log: (line) => context.log(line),
    });
    const f = result.figures;
    const n = (name: string) => Number(f[name] ?? 0);
    return {
      faultsInjected: n('bad_sent'),
      dossiersSent: n('valid_events_expected'),
      dossiersStored: n('valid_events_stored'),
      lost: n('lost_valid_events'),
      doubleCounted: n('double_counted'),
      kpiValuesDiffering: 0,
      details: { 'counts are': 'valid events', ...f },
      problems: result.problems,
    };
  },
};
