// `npx tsx bench/aggregate-compare.ts [--top N] RUN.json…`: the aggregate bench's runs (its own JSON, or
// `npm run bench`'s with the top key `aggregate`) grouped by the commit that ran them (`replay.commit`;
// replays of one stored history: aggregate-replay.ts), in the order the commits first appear: A, B. Per
// timed cycle kind, each group's median wall and CPU seconds with their range over its runs, and B's median
// as a ratio to A's; then, per cycle kind, the top statements (by A's median wall) likewise. With a single
// commit it prints the spread of its runs instead ((max − min) / median): the noise a difference must beat.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { median } from './aggregate-replay-plan.ts';

export const CYCLE_KINDS = [
  'idleCycle',
  'incrementalCycle',
  'lateDataCycle',
  'dayRolloverCycle',
  'catchUpCycle',
  'yearRolloverCycle',
] as const;

interface CycleJson {
  seconds: number;
  cpuSeconds: number;
  mode?: string;
  rowsWritten?: number;
  periodsRecomputed?: number;
  index766StatementRan?: boolean;
  breakdown?: Record<string, number>;
  statementCpu?: Record<string, number>;
}

export interface Run {
  file: string;
  commit: string;
  load?: number;
  cycles: Partial<Record<(typeof CYCLE_KINDS)[number], CycleJson>>;
}

/** A run from its JSON: the aggregate bench's result, bare or under `aggregate`. */
export function runOf(file: string, json: unknown): Run {
  const root = json as Record<string, unknown>;
  const result = (root.aggregate ?? root) as Record<string, unknown>;
  const replay = result.replay as { commit?: string } | undefined;
  const cycles = Object.fromEntries(
    CYCLE_KINDS.filter((kind) => result[kind] !== undefined).map((kind) => [kind, result[kind] as CycleJson]),
  );
  return {
    file,
    commit: replay?.commit ?? 'unknown',
    load: (result.loadAverage as number[] | undefined)?.[0],
    cycles,
  };
}

export interface Figure {
  runs: number;
  wall: number;
  cpu: number;
  wallMin: number;
  wallMax: number;
  cpuMin: number;
  cpuMax: number;
}

/** Median wall and CPU of `pick` over `runs` (those where it is defined); undefined when none. */
export function figure(runs: Run[], pick: (run: Run) => { wall?: number; cpu?: number }): Figure | undefined {
  const picked = runs.map(pick).filter((p): p is { wall: number; cpu: number } => p.wall !== undefined);
  if (picked.length === 0) return undefined;
  const walls = picked.map((p) => p.wall);
  const cpus = picked.map((p) => p.cpu ?? Number.NaN);
  return {
    runs: picked.length,
    wall: median(walls),
    cpu: median(cpus),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    cpuMin: Math.min(...cpus),
    cpuMax: Math.max(...cpus),
  };
}

/** The runs per commit, in the order commits first appear. */
export function groupByCommit(runs: Run[]): { commit: string; runs: Run[] }[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) groups.set(run.commit, [...(groups.get(run.commit) ?? []), run]);
  return [...groups].map(([commit, members]) => ({ commit, runs: members }));
}

const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
const ratio = (b?: number, a?: number) =>
  a === undefined || b === undefined || a === 0 || Number.isNaN(a) || Number.isNaN(b)
    ? '-'
    : (b / a).toFixed(2);
const percent = (range: number, mid: number) => (mid > 0 ? `${((range / mid) * 100).toFixed(0)}%` : '-');
const spread = (f?: Figure) =>
  f ? `wall ${percent(f.wallMax - f.wallMin, f.wall)} cpu ${percent(f.cpuMax - f.cpuMin, f.cpu)}` : '-';
const cell = (f?: Figure) => (f ? `${f2(f.wall)} / ${f2(f.cpu)} [${f2(f.wallMin)}–${f2(f.wallMax)}]` : '-');

/**
 * What a cycle did, as text: mode, periods recomputed, rows written, whether the Decision 766 statement ran.
 * Runs on one stored history at the same instants do the same (a cycle's path does not depend on timing).
 */
export function pathOf(cycle: CycleJson | undefined): string {
  if (!cycle) return '-';
  const ran = cycle.index766StatementRan ? '766 ran' : '766 skipped';
  return `${cycle.mode} ${cycle.periodsRecomputed} periods ${cycle.rowsWritten} rows ${ran}`;
}

/** The report's lines: per cycle kind, then its top statements. */
export function report(runs: Run[], top = 6): string[] {
  const groups = groupByCommit(runs);
  const [a, b] = groups;
  if (!a) return ['no runs'];
  const lines = groups.map(
    (g, i) =>
      `${'AB'[i] ?? `#${i}`} ${g.commit}: ${g.runs.map((r) => `${r.file} (load ${r.load ?? '?'})`).join(', ')}`,
  );
  if (groups.length > 2) lines.push(`(${groups.length} commits: only the first two are compared)`);
  lines.push(
    b
      ? 'median wall / CPU s [wall range]; B/A of the medians'
      : 'median wall / CPU s [wall range]; spread = (max - min) / median, of wall and of CPU',
  );
  for (const kind of CYCLE_KINDS) {
    const fa = figure(a.runs, (r) => ({ wall: r.cycles[kind]?.seconds, cpu: r.cycles[kind]?.cpuSeconds }));
    const fb =
      b && figure(b.runs, (r) => ({ wall: r.cycles[kind]?.seconds, cpu: r.cycles[kind]?.cpuSeconds }));
    lines.push('');
    lines.push(
      b
        ? `${kind.padEnd(18)} A ${cell(fa)}  B ${cell(fb)}  B/A wall ${ratio(fb?.wall, fa?.wall)} cpu ${ratio(fb?.cpu, fa?.cpu)}`
        : `${kind.padEnd(18)} ${cell(fa)}  spread ${spread(fa)}`,
    );
    const paths = new Set(runs.map((r) => pathOf(r.cycles[kind])));
    if (paths.size > 1)
      lines.push(`  PATHS DIFFER: ${runs.map((r) => `${r.file}: ${pathOf(r.cycles[kind])}`).join('; ')}`);
    const statement = (label: string) => (r: Run) => ({
      wall: r.cycles[kind]?.breakdown?.[label],
      cpu: r.cycles[kind]?.statementCpu?.[label],
    });
    const labels = [...new Set(a.runs.flatMap((r) => Object.keys(r.cycles[kind]?.breakdown ?? {})))]
      .map((label) => ({ label, fa: figure(a.runs, statement(label)) }))
      .sort((x, y) => (y.fa?.wall ?? 0) - (x.fa?.wall ?? 0))
      .slice(0, top);
    for (const { label, fa: sa } of labels) {
      const sb = b && figure(b.runs, statement(label));
      const name = `  ${label.length > 58 ? `${label.slice(0, 57)}…` : label}`.padEnd(62);
      lines.push(
        b
          ? `${name} A ${f2(sa?.wall)} / ${f2(sa?.cpu)}  B ${f2(sb?.wall)} / ${f2(sb?.cpu)}  B/A ${ratio(sb?.wall, sa?.wall)} / ${ratio(sb?.cpu, sa?.cpu)}`
          : `${name} ${f2(sa?.wall)} / ${f2(sa?.cpu)}  spread ${spread(sa)}`,
      );
    }
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '6' } },
  });
  if (positionals.length === 0) throw new Error('usage: aggregate-compare.ts [--top N] RUN.json…');
  const runs = await Promise.all(
    positionals.map(async (file) => runOf(file, JSON.parse(await readFile(file, 'utf8')))),
  );
  console.log(report(runs, Number(values.top)).join('\n'));
}
