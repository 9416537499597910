import { freePorts } from '../../../../test/support/free-port.ts';
import type { AllInOne } from '../pipeline.ts';
import type { FaultScenario } from '../scenario.ts';
import { SUITE_INTERVAL_SECONDS } from '../suite.ts';

const PHASES = ['migrations', 'batches', 'kpi-cycle'] as const;
type Phase = (typeof PHASES)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the generation log through the run's analysts endpoint until a generation is claimed, not committed. */
async function claimSeen(url: string, allInOne: AllInOne, capMs: number): Promise<boolean> {
  const query = `SELECT state FROM kpi_cycles_v1 ORDER BY gen DESC, created_at DESC LIMIT 1 FORMAT TSV`;
  const deadline = Date.now() + capMs;
  while (Date.now() < deadline && allInOne.child.exitCode === null) {
    const state = await fetch(`${url}/?query=${encodeURIComponent(query)}`)
      .then((r) => (r.ok ? r.text() : ''))
      .catch(() => '');
    if (state.trim() === 'staged') return true;
    await sleep(20);
  }
  return false;
}

/**
 * SIGKILL of the whole all-in-one process group at random moments of each phase, then a restart: while
 * migrations run on a fresh data directory, while batches are inserted and offsets committed, and
 * while a KPI cycle holds a claimed generation. After the last restart the run catches up and must
 * store what the uninterrupted run stored, with the same KPI values; no KPI run after a restart may
 * stand aside for the dead process's claim.
 */
export const killAllInOne: FaultScenario = {
  name: 'kill-all-in-one',
  description: 'SIGKILL of npm start at random moments (migrations, batches, KPI cycle phases), restart',
  iterations: { short: 3, long: 30 },
  async run(context) {
    const run = await context.newRun('kill');
    const phases: Record<Phase, number> = { migrations: 0, batches: 0, 'kpi-cycle': 0 };
    const problems: string[] = [];
    let faults = 0;
    let claimsKilled = 0;
    const skippedRuns = (a: AllInOne) => a.lines.filter((l) => l.msg === 'kpi job skipped').length;
    for (let i = 0; i < context.iterations; i++) {
      // Every phase in turn, the moment within it at random.
      const phase = PHASES[i % PHASES.length]!;
      const [analystsPort] = await freePorts(1);
      const allInOne = await run.start({ ANALYSTS_PORT: String(analystsPort) });
      if (phase === 'migrations') {
        // Only the first start migrates a fresh directory; later ones re-check the applied migrations.
        await sleep(context.rng.uniform(300, 3_000));
      } else if (phase === 'batches') {
        await allInOne.waitForLine((l) => l.msg === 'ingestor started');
        await sleep(context.rng.uniform(0, 2_000));
      } else {
        await allInOne.waitForLine((l) => l.msg === 'all-in-one ready');
        const url = `http://127.0.0.1:${analystsPort}`;
        if (await claimSeen(url, allInOne, 4 * SUITE_INTERVAL_SECONDS * 1000)) claimsKilled += 1;
        await sleep(context.rng.uniform(0, 150));
      }
      await allInOne.kill();
      faults += 1;
      phases[phase] += 1;
      const skipped = skippedRuns(allInOne);
      if (skipped > 0) problems.push(`${skipped} KPI run(s) stood aside after restart ${i}`);
      context.log(`kill ${i + 1}: ${phase}`);
    }
    const last = await run.start();
    await run.settle(last);
    const skipped = skippedRuns(last);
    if (skipped > 0) problems.push(`${skipped} KPI run(s) stood aside after the last restart`);
    const judged = await run.judge();
    if (judged.cycle.mode === 'skipped')
      problems.push(`the judge's KPI run stood aside: ${judged.cycle.skippedReason}`);
    const { kpiSamples, schemaDifferences, ...counts } = await context.compare(judged);
    return {
      faultsInjected: faults,
      ...counts,
      details: {
        'killed during migrations': phases.migrations,
        'during batches': phases.batches,
        'during a KPI cycle': phases['kpi-cycle'],
        'with a generation claimed': claimsKilled,
      },
      problems: [
        ...problems,
        ...kpiSamples.map((s) => `KPI ${s}`),
        ...schemaDifferences.map((s) => `schema ${s}`),
      ],
    };
  },
};
