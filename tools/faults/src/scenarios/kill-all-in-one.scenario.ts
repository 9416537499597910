import { cp, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { KPI_PHASES } from '@dossier/kpi';
import { judge } from '../judge-run.ts';
import type { AllInOne, LogLine } from '../pipeline.ts';
import type { FaultScenario, ScenarioContext } from '../scenario.ts';

/**
 * Where a kill is aimed. `migrations` and `batches` are random moments of a start; the others are named
 * checkpoints the all-in-one logs at debug level, the kill following the line: `batch stored` (a batch's
 * rows inserted, its offset not committed yet) and each `kpi cycle phase` of a KPI generation (staging
 * its rows, claimed, applied, values computed, committed).
 */
const POINTS = ['migrations', 'batches', 'batch-stored', ...KPI_PHASES] as const;
/** Points that need input left to consume: only the first round of the long profile has any. */
const INGEST_POINTS: readonly Point[] = ['batches', 'batch-stored'];
export type Point = (typeof POINTS)[number];

/**
 * The points of a run: in the long profile every point, round after round (the ingest points only in the
 * first: the kill after a stored batch is judged, so no input is left after it; a random moment of
 * ingest comes before it and is judged with it, as judging it alone would consume the input before
 * `batch stored` could be aimed at); in the short one (inside `npm test`,
 * where each restart costs a minute or two on a loaded machine) migrations, a stored batch and two KPI
 * phases drawn from the seed, so that successive runs cover every phase.
 */
function planKills(context: ScenarioContext): Point[] {
  if (context.profile === 'long')
    return Array.from({ length: context.iterations }, (_, i) => POINTS[i % POINTS.length]!).filter(
      (p, i) => i < POINTS.length || !INGEST_POINTS.includes(p),
    );
  const first = context.rng.int(0, KPI_PHASES.length - 1);
  const second = (first + context.rng.int(1, KPI_PHASES.length - 1)) % KPI_PHASES.length;
  return ['migrations', 'batch-stored', ...[first, second].sort().map((k) => KPI_PHASES[k]!)];
}

/** A checkpoint not logged within this long was not reached (a rebuild on a loaded machine takes minutes). */
const POINT_WAIT_MS = 600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The line a point is aimed at, undefined for a random moment. */
function checkpoint(point: Point): ((l: LogLine) => boolean) | undefined {
  if (point === 'batch-stored') return (l) => l.msg === 'batch stored';
  if ((KPI_PHASES as readonly string[]).includes(point))
    return (l) => l.msg === 'kpi cycle phase' && l.phase === point;
  return undefined;
}

/** Kills at `point`: true when it landed where aimed (the checkpoint was logged, or a random moment). */
export async function killAt(
  point: Point,
  allInOne: Pick<AllInOne, 'waitForLine' | 'kill'>,
  context: Pick<ScenarioContext, 'rng'>,
): Promise<boolean> {
  const match = checkpoint(point);
  if (point === 'migrations') {
    // Only the first start migrates a fresh directory; later ones re-check the applied migrations.
    await sleep(context.rng.uniform(300, 3_000));
  } else if (point === 'batches') {
    // Once batches flow (the first stored; the group's join alone can outlast a random delay after
    // 'ingestor started', which killed before any batch), at a random moment among the next ones.
    await allInOne.waitForLine((l) => l.msg === 'batch stored');
    await sleep(context.rng.uniform(0, 1_500));
  }
  let reached = true;
  if (match) {
    let timer: NodeJS.Timeout | undefined;
    reached = await Promise.race([
      allInOne.waitForLine(match).then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), POINT_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }
  await allInOne.kill();
  return reached;
}

/**
 * SIGKILL of the whole all-in-one process group aimed at each point in turn (POINTS), then a restart.
 * After the last restart the run catches up and must store what the uninterrupted run stored, with the
 * same KPI values; no KPI run after a restart may stand aside for the dead process's claim. The long
 * profile also judges a copy of the data directory after every kill's recovery, so each point gets a
 * verdict of its own; the short one judges once, after its four kills (see planKills).
 */
export const killAllInOne: FaultScenario = {
  name: 'kill-all-in-one',
  description:
    'SIGKILL of npm start at each point (migrations, batches, insert before offset commit, each KPI cycle phase), restart',
  iterations: { short: 4, long: 4 * POINTS.length },
  async run(context) {
    const run = await context.newRun('kill');
    const kills = Object.fromEntries(POINTS.map((p) => [p, 0])) as Record<Point, number>;
    const verdicts: string[] = [];
    const problems: string[] = [];
    const perKill = context.profile === 'long';
    const skippedRuns = (a: AllInOne) => a.lines.filter((l) => l.msg === 'kpi job skipped').length;
    let reached = 0;
    const batchesBeforeRandomKill: number[] = [];
    const plan = planKills(context);
    for (const [i, point] of plan.entries()) {
      const allInOne = await run.start({ LOG_LEVEL: 'debug' });
      if (await killAt(point, allInOne, context)) reached += 1;
      else problems.push(`kill ${i + 1}: ${point} was not reached within ${POINT_WAIT_MS / 1000} s`);
      kills[point] += 1;
      // A random moment of ingest is a kill during batches only if batches were flowing.
      if (point === 'batches')
        batchesBeforeRandomKill.push(allInOne.lines.filter((l) => l.msg === 'batch stored').length);
      const skipped = skippedRuns(allInOne);
      if (skipped > 0) problems.push(`${skipped} KPI run(s) stood aside after restart ${i}`);
      context.log(`kill ${i + 1}: ${point}`);
      if (perKill && point !== 'migrations' && point !== 'batches') {
        const recovered = await run.start();
        await run.settle(recovered);
        const c = await compareCopy(run.dataDir, context);
        const verdict = `${point}: lost ${c.lost}, double-counted ${c.doubleCounted}, KPI values differing ${c.kpiValuesDiffering}`;
        verdicts.push(verdict);
        // As it goes: a long run (about an hour) says each verdict when it is known, not only at the end.
        context.log(`kill ${i + 1} judged after recovery: ${verdict}`);
        if (c.lost + c.doubleCounted + c.kpiValuesDiffering > 0)
          problems.push(`after the kill ${i + 1} at ${verdict}`);
      }
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
      faultsInjected: POINTS.reduce((n, p) => n + kills[p], 0),
      ...counts,
      details: {
        'kills by point': POINTS.map((p) => `${p} ${kills[p]}`).join(', '),
        'aimed kills that found their point': reached,
        'batches stored before each random ingest kill': batchesBeforeRandomKill.join(' ') || '-',
        ...(perKill ? { 'judged after each kill': verdicts.join('; ') } : {}),
      },
      problems: [
        ...problems,
        ...kpiSamples.map((s) => `KPI ${s}`),
        ...schemaDifferences.map((s) => `schema ${s}`),
      ],
    };
  },
};

/** Judges a copy of a stopped run's data (the judge writes a KPI cycle of its own) against the reference. */
async function compareCopy(dataDir: string, context: ScenarioContext) {
  const copy = await mkdtemp(join(context.workDir, 'judged-'));
  await cp(join(dataDir, 'clickhouse'), join(copy, 'clickhouse'), { recursive: true });
  return context.compare(await judge(copy, context.input.judgeAt));
}
