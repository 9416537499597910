import type { FaultScenario } from '../scenario.ts';
import { PROFILES, runHostileInput } from './hostile-input-run.ts';

/**
 * Valid events mixed with hostile messages at volume, on an input, an ingestor and an embedded
 * ClickHouse of its own (hostile-input-run.ts); its counts are events, not dossiers. The short profile
 * (3,000 messages) runs in `npm test` with the rest of the suite, the long one has 100,000.
 */
export const hostileInput: FaultScenario = {
  name: 'hostile-input',
  description:
    'valid events mixed with hostile messages at volume: dead-lettered with their reasons, none lost',
  iterations: { short: 1, long: 1 },
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
      details: { 'counts are': 'valid events', messages: PROFILES[context.profile].messages, ...f },
      problems: result.problems,
    };
  },
};
