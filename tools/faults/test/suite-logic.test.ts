import { createRng } from '@dossier/simulator';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadAllInOneConfig } from '../../../services/all-in-one/src/config.ts';
import type { LogLine } from '../src/pipeline.ts';
import { killAt } from '../src/scenarios/kill-all-in-one.scenario.ts';
import { runEnvironment, stopCleanly } from '../src/suite.ts';

const KEY = 'k'.repeat(32);
const LETTER_KEY = 'e4'.repeat(32);

describe("the fault suite's stop of a settled run", () => {
  it("gives every run's all-in-one, the uninterrupted reference's too, 5 minutes to stop, as its config reads it", () => {
    const env = runEnvironment(
      { CLICKHOUSE_URL: 'http://elsewhere:8123', SHUTDOWN_TIMEOUT_MS: '1000' },
      {
        brokers: ['127.0.0.1:1'],
        redisUrl: 'redis://127.0.0.1:2',
        topics: { events: 'e', dvcqg: 'd', catalog: 'c' },
        deadLetterTopic: 'reference-dead-letter',
        groupId: 'reference-group',
        queuePrefix: 'faults:reference',
      },
    );
    const own = loadAllInOneConfig(env, KEY, LETTER_KEY).own;
    // A stop lets a claimed KPI generation finish: the reference's (the catalog's history since 2020)
    // took over a minute at load 20, past the all-in-one's own 40 s.
    expect(loadAllInOneConfig({}, KEY, LETTER_KEY).own.SHUTDOWN_TIMEOUT_MS).toBe(40_000);
    expect(own.SHUTDOWN_TIMEOUT_MS).toBe(300_000);
    expect(own.CLICKHOUSE_URL).toBeUndefined();
  });

  it('still requires a clean stop: exit 1 after `shutdown deadline passed` fails the run, exit 0 passes', async () => {
    const stopping = (code: number | null) => ({
      stop: async () => code,
      output: () => '{"level":40,"msg":"shutdown deadline passed"}\n',
    });
    await expect(stopCleanly(stopping(1))).rejects.toThrow(
      /all-in-one stopped with 1:\n.*shutdown deadline passed/,
    );
    await expect(stopCleanly(stopping(null))).rejects.toThrow(/stopped with null/);
    await expect(stopCleanly(stopping(0))).resolves.toBeUndefined();
  });
});

/** An all-in-one's log as the scenario sees it, fed line by line by the test; its SIGKILL is recorded. */
function scriptedAllInOne() {
  const lines: LogLine[] = [];
  const events: string[] = [];
  const waiting: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  return {
    events,
    log(line: LogLine) {
      lines.push(line);
      events.push(String(line.msg));
      for (const w of waiting.splice(0)) {
        if (w.match(line)) w.resolve(line);
        else waiting.push(w);
      }
    },
    waitForLine(match: (l: LogLine) => boolean, from = 0): Promise<LogLine> {
      const seen = lines.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
    async kill() {
      events.push('SIGKILL');
    },
  };
}

describe("kill-all-in-one's random kill during ingest", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for the first `batch stored`, however long the group takes to join after `ingestor started`', async () => {
    vi.useFakeTimers();
    for (const seed of ['1', '13101', '13105']) {
      const allInOne = scriptedAllInOne();
      const killing = killAt('batches', allInOne, { rng: createRng(`${seed}:kill-all-in-one`) });
      allInOne.log({ msg: 'ingestor started' });
      allInOne.log({ msg: 'kpi cycle done' });
      // Every timer the scenario set runs out (any random delay): still no batch, so no kill.
      await vi.runAllTimersAsync();
      expect(allInOne.events).toEqual(['ingestor started', 'kpi cycle done']);

      allInOne.log({ msg: 'batch stored' });
      await vi.runAllTimersAsync();
      await expect(killing).resolves.toBe(true);
      expect(allInOne.events).toEqual(['ingestor started', 'kpi cycle done', 'batch stored', 'SIGKILL']);
    }
  });
});
