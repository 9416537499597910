// The short profile of the hostile-input fault scenario, inside `npm test` (the long one is the
// operator's: `npm run faults:hostile-input -- --profile long`).
import { describe, expect, it } from 'vitest';
import { testKafkaBrokers } from '../support/kafka.ts';
import { runHostileInput } from './hostile-input.scenario.ts';

describe('hostile input (fault scenario, short profile)', () => {
  it('crashes nothing, stalls no partition, dead-letters every bad message with its reason, stores every valid one once', async () => {
    const result = await runHostileInput({ brokers: testKafkaBrokers(), profile: 'short', seed: 'ci-1' });
    expect(result.problems).toEqual([]);
    expect(result.figures).toMatchObject({
      crashes: 0,
      stalled_partitions: 0,
      lost_valid_events: 0,
      double_counted: 0,
    });
    expect(result.figures.dead_lettered).toBe(result.figures.bad_sent);
    expect(result.figures.dead_letters_with_expected_reason).toBe(result.figures.bad_sent);
    // The oversize letters cannot fit the dead-letter topic: each went there as a reference.
    expect(result.figures.dead_letters_topic_reference).toBe(result.figures.bad_oversize);
  }, 600_000);
});
