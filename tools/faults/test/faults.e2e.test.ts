import { describe, expect, it } from 'vitest';
import { testKafkaBrokers } from '../../../test/support/kafka.ts';
import { deleteKeys, testRedisUrl } from '../../../test/support/redis.ts';
import { formatOutcome, passed, runSuite, SCENARIOS } from '../src/index.ts';

// The fault suite's short profile, on the run's Kafka and Redis; the seed is printed for replay
// (`npm run faults -- --profile short --seed <seed>`).
// Its scenarios, hostile-input's 3,000 messages included, take 15–45 minutes on a loaded machine
// (kill-replay alone, with the uninterrupted run it is compared with, took 29 minutes at load 40 on 2 cores).
describe('the fault suite, short profile', { timeout: 3_600_000 }, () => {
  it("loses nothing, counts nothing twice and computes the uninterrupted run's KPIs after every fault", async () => {
    const seed = process.env.FAULTS_SEED ?? String(Date.now() % 1_000_000);
    const outcomes = await runSuite({
      profile: 'short',
      seed,
      scenarios: SCENARIOS,
      brokers: testKafkaBrokers(),
      redisUrl: testRedisUrl(),
    });
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) expect(passed(outcome), formatOutcome(outcome)).toBe(true);
    // The runs' queue keys went with them: none of this process's prefixes is left on the shared Redis.
    expect(await deleteKeys(`faults:faults-*-${process.pid}-`)).toBe(0);
  });
});
