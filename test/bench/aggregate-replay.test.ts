import { describe, expect, it } from 'vitest';
import { figure, groupByCommit, report, runOf } from '../../bench/aggregate-compare.ts';
import {
  manifestProblem,
  median,
  parseInstant,
  REPLAY_AT,
  type ReplayManifest,
  replayInstants,
} from '../../bench/aggregate-replay-plan.ts';

const manifest: ReplayManifest = {
  dossiers: 200_000,
  now: REPLAY_AT,
  commit: 'abc1234',
  migrations: ['0001_create_a.sql', '0002_create_b.sql'],
  rebuiltAt: '2026-12-07 19:15:58.334',
  generatedAt: '2026-12-07T19:15:58.348Z',
  generateSeconds: 7,
  generateCpuSeconds: 2,
  fullCycle: {},
  stampedRows: {},
};

describe('manifestProblem', () => {
  it('accepts a checkout that knows every migration of the store, and more', () => {
    const known = ['0001_create_a.sql', '0002_create_b.sql', '0003_create_c.sql'];
    expect(manifestProblem(manifest, known, { dossiers: 200_000, now: REPLAY_AT })).toBeUndefined();
    expect(manifestProblem(manifest, known)).toBeUndefined();
  });

  it('refuses a store with a migration the checkout does not know, naming it', () => {
    const problem = manifestProblem(manifest, ['0001_create_a.sql']);
    expect(problem).toContain('0002_create_b.sql');
    expect(problem).toContain('abc1234');
  });

  it('refuses another size or instant than the one asked for', () => {
    const known = manifest.migrations;
    expect(manifestProblem(manifest, known, { dossiers: 1_000_000 })).toContain('200000 dossiers');
    expect(manifestProblem(manifest, known, { now: '2026-12-24 05:00:00.000' })).toContain(REPLAY_AT);
  });
});

describe('replayInstants', () => {
  const at = replayInstants(REPLAY_AT, 1_000_000);

  it('derives every cycle from the history instant alone', () => {
    expect(replayInstants(REPLAY_AT, 1_000_000)).toEqual(at);
    expect(at).toMatchObject({
      rebuild: '2026-11-26 05:00:00.000',
      warm: '2026-11-26 05:00:30.000',
      idle: '2026-11-26 05:01:00.000',
      incremental: {
        at: '2026-11-26 05:02:00.000',
        arrivals: { startAt: '2026-11-26 04:02:00.000', spanSeconds: 3_000, now: '2026-11-26 05:02:00.000' },
      },
      // City (UTC+7) midnight of 27 November plus a minute; the new year's first minute, and 3 minutes before.
      dayRollover: '2026-11-26 17:01:00.000',
      catchUp: '2026-12-31 16:58:00.000',
      yearRollover: '2026-12-31 17:01:00.000',
    });
  });

  it('puts the late receipts inside the history, ending two weeks before their cycle', () => {
    const { startAt, spanSeconds, now } = at.lateData.arrivals;
    expect(now).toBe(at.lateData.at);
    // 1M at the city's rate (7M a year) is 52.14 days: the receipts start with the history.
    expect(startAt).toBe('2026-10-05 01:34:17.000');
    const end = Date.parse(`${startAt.replace(' ', 'T')}Z`) + spanSeconds * 1000;
    expect(end).toBe(Date.parse('2026-11-12T05:03:00Z'));
  });
});

describe('parseInstant', () => {
  it('reads ISO with a zone and the stores’ UTC text alike', () => {
    expect(parseInstant('2026-11-26T12:00:00+07:00')).toBe('2026-11-26 05:00:00.000');
    expect(parseInstant('2026-11-26T05:00:00Z')).toBe('2026-11-26 05:00:00.000');
    expect(parseInstant('2026-11-26 05:00:00')).toBe('2026-11-26 05:00:00.000');
    expect(() => parseInstant('yesterday')).toThrow('not an instant');
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

const run = (file: string, commit: string, idle: number, statement: number) =>
  runOf(file, {
    aggregate: {
      replay: { commit },
      loadAverage: [2],
      idleCycle: {
        seconds: idle,
        cpuSeconds: idle / 2,
        mode: 'cycle',
        periodsRecomputed: 3,
        rowsWritten: 5,
        index766StatementRan: false,
        breakdown: { crossed: statement },
        statementCpu: { crossed: statement / 2 },
      },
    },
  });

describe('aggregate-compare', () => {
  const runs = [
    run('a1', 'A', 1, 0.2),
    run('b1', 'B', 2, 0.4),
    run('a2', 'A', 3, 0.6),
    run('b2', 'B', 4, 0.8),
  ];

  it('groups A B A B by commit, in the order commits appear', () => {
    expect(groupByCommit(runs).map((g) => [g.commit, g.runs.map((r) => r.file)])).toEqual([
      ['A', ['a1', 'a2']],
      ['B', ['b1', 'b2']],
    ]);
  });

  it('takes medians and ranges over the runs that have the figure', () => {
    const a = groupByCommit(runs)[0]?.runs ?? [];
    expect(
      figure(a, (r) => ({ wall: r.cycles.idleCycle?.seconds, cpu: r.cycles.idleCycle?.cpuSeconds })),
    ).toEqual({ runs: 2, wall: 2, cpu: 1, wallMin: 1, wallMax: 3, cpuMin: 0.5, cpuMax: 1.5 });
    expect(figure(a, (r) => ({ wall: r.cycles.catchUpCycle?.seconds }))).toBeUndefined();
  });

  it('reports B/A per cycle and per statement, and a single commit’s spread', () => {
    const lines = report(runs);
    expect(lines.find((l) => l.startsWith('idleCycle'))).toContain('B/A wall 1.50 cpu 1.50');
    expect(lines.find((l) => l.trim().startsWith('crossed'))).toContain('B/A 1.50 / 1.50');
    const alone = report(runs.filter((r) => r.commit === 'A'));
    expect(alone.find((l) => l.startsWith('idleCycle'))).toContain('spread wall 100% cpu 100%');
    expect(lines.some((l) => l.includes('PATHS DIFFER'))).toBe(false);
  });

  it('flags runs whose cycle took another path', () => {
    const other = run('b3', 'B', 2, 0.4);
    if (other.cycles.idleCycle) other.cycles.idleCycle.rowsWritten = 7;
    expect(report([...runs, other]).find((l) => l.includes('PATHS DIFFER'))).toContain(
      'b3: cycle 3 periods 7 rows 766 skipped',
    );
  });
});
